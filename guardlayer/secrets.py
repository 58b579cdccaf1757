"""Secrets in text: cloud and API keys, tokens, private keys, JWTs, passwords in URLs and
connection strings, values under keys in .env, shell and config lines (``PGPASSWORD='...'``,
``api_key = "3f9a..."``; not ``api_key = os.environ["API_KEY"]`` nor a value that reads as a
name or a switch: ``secret: prod-db-2024``, ``ALLOW_EMPTY_PASSWORD=yes``), HTTP Authorization headers,
and passwords, passcodes and PINs given in prose or after a label ("my password is
Summer2024!", "pw: hunter2"; not "password is required" nor "Password: ****").

Pure regex (the ``regex`` module, every call with a timeout), no Presidio, so any guard can
use it::

    from guardlayer.secrets import find_secrets
    for f in find_secrets(text):        # Finding(kind="SECRET", detail=<pattern id>, start, end)
        ...

Each pattern has a stable ``id``; a pattern with a group named ``secret`` reports only that
group (the password of ``postgres://user:PASSWORD@host``), otherwise the whole match.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import regex

from .guard import REGEX_TIMEOUT
from .timed_regex import TimedPattern, timed_compile
from .verdict import Finding

SECRET = "SECRET"
"""The `Finding.kind` of every secret; ``Finding.detail`` is the pattern id."""


@dataclass(frozen=True)
class SecretPattern:
    """One kind of secret: a stable id, a human description, the regex, and a confidence.

    ``hints``: literals of which every match contains at least one (compared with the
    case-folded text when ``fold_hints``); the regex only runs when one is in the text.
    Empty: always run. ``chunk``: every match has no white space and is at least this long,
    so only the text's white-space-free chunks that long are searched for the hints (0: no
    such bound). ``accept``: a check of each value found (the ``secret`` group or the match);
    a value it refuses is not reported."""

    id: str
    description: str
    pattern: str
    score: float = 0.9
    flags: int = 0
    hints: tuple[str, ...] = ()
    fold_hints: bool = False
    chunk: int = 0
    accept: Callable[[str], bool] | None = None

    @cached_property
    def compiled(self) -> TimedPattern:
        return timed_compile(self.pattern, self.flags | regex.VERSION1)


_B = r"(?<![A-Za-z0-9_\-])"  # left boundary: not inside a longer token
_E = r"(?![A-Za-z0-9_\-])"  # right boundary
_NOT_A_VALUE = (  # where a password goes, what only stands for one: a mask, a placeholder, code
    r"(?![*x•.#?_\-]*[\"'”’\s;]|[*x•#]{3,}|[<{\[(]|\$[{(]|\$[A-Z_][A-Z0-9_]*(?:[\s;\"')]|\Z)"  # $VAR
    r"|%\(|[~/]|\.\.?/|\w+://"
    r"|(?i:redacted|hidden|removed|masked|none|null|nil|n/a)(?:\W|\Z)"
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*[(\[]|(?:[A-Za-z]\w*\.[A-Za-z_]\w*|[A-Za-z]+_[A-Za-z_]+)(?:[\s;,)]|\Z))")
_NOT_A_WORD = (  # an unquoted password: not an ordinary word (one with a digit, a symbol or mixed case)
    r"(?!(?:\p{Ll}+|\p{Lu}\p{Ll}*|\p{Lu}+)(?:['’\-](?:\p{Ll}+|\p{Lu}\p{Ll}*|\p{Lu}+))*[.,;:)!?]*(?:\s|\Z))")


def _token(chars: str) -> str:
    """A key or token of ``chars`` (a class's content): 8 or more characters with a letter and
    a digit ("your-api-key" is none)."""
    return rf"(?=[{chars}]*?\d)(?=[{chars}]*?\p{{L}})(?P<secret>[{chars}]{{8,4000}})"


_TOKEN = _token(r"^\s\"'`;,<>")
_BARE_TOKEN = _token(r"^\s\"'`;,<>&")  # (a bare one ends before the next field of a query: "&user=")


def _quoted_or_bare(bare: str, quoted: str = "") -> str:
    """A value after its key, not what only stands for one: in double or single quotes, reported
    without them (``quoted``, a pattern with a group named ``secret``; by default anything up to
    the closing quote on its line), or ``bare``."""
    return "(?:" + "|".join(q + _NOT_A_VALUE + (quoted or "(?P<secret>[^" + q + r"\n]{1,200})") + q
                            for q in "\"'") + "|" + _NOT_A_VALUE + bare + ")"


_SEGMENTS = timed_compile(r"[^\-_./:@\s]+")  # the parts of a name such as "prod-db-2024" or "v1.2.3-beta"
_WORDISH = timed_compile(r"\d+|\d+\p{Ll}{1,3}\d{0,2}|(?:\p{L}\p{Ll}*|\p{Lu}+)\d{0,4}|(?:\p{Lu}\p{Ll}+){2,}\d{0,4}")


def _looks_random(value: str) -> bool:
    """Is ``value`` (given after a name such as ``secret`` or ``token``) a secret rather than
    a name made of words and numbers ("prod-db-2024", "v1.2.3-beta", "k8s-prod-west2",
    "MyService2")? Its parts (between ``- _ . / : @``) are words, numbers, a word then a number
    of up to 4 digits, or a number then a short suffix ("2024q3"); a symbol ($, !, #, +, =...)
    makes a part none. A part that is none is random when longer than 4 characters, and two
    such short parts are ("G7hT-2kLq"); one ("k8s", "h264") is a name's. A value of one part, a
    word then digits, six characters or more, is a weak secret ("Welcome1", "letmein123",
    "Summer2024"), but for two capitalised words ("MyService2"): a name's. Random keys mix
    letters and digits throughout ("a8Xk29slQp77", hex, a UUID's "550e8400")."""
    parts = _SEGMENTS.findall(value, timeout=REGEX_TIMEOUT)
    short = 0
    for part in parts:
        if not _WORDISH.fullmatch(part, timeout=REGEX_TIMEOUT):
            if len(part) > 4:
                return True
            short += len(part) > 2
    if short > 1:
        return True
    return (len(parts) == 1 and len(value) >= 6 and value[:1].isalpha() and value[-1:].isdigit()
            and not _TWO_WORDS.match(value, timeout=REGEX_TIMEOUT))


_TWO_WORDS = timed_compile(r"(?:\p{Lu}\p{Ll}+){2,}\d")  # "MyService2": a name's, not a password


_SWITCHES = frozenset("true false yes no on off enabled disabled enable disable required optional".split())


def _not_a_switch(value: str) -> bool:
    """Is ``value`` (after a password's name) other than a setting's switch (``true``, ``off``,
    ``enabled``: ``ALLOW_EMPTY_PASSWORD=yes``, ``first_pass=true``)?"""
    return value.lower() not in _SWITCHES


_NOT_A_YEAR_BEFORE_A_NOUN = (  # "PIN 2024 edition": a year naming something, not a PIN given
    r"(?!(?<=(?<!\d)(?:19|20)\d\d)[ \t]+"
    r"(?!(?i:and|or|to|for|is|was|at|on|in|if|but|then|please|from|with|as|so)\b)\p{L})")

_KEY_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_KEY_MARKERS = timed_compile(r"(?r)-----(?:BEGIN|END) (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_KEY_LINE = timed_compile(r"[A-Za-z0-9+/=]*|[A-Za-z][A-Za-z\-]*:[^\r\n]*")
"""A line of a key's body: base64, or a header (``Proc-Type: 4,ENCRYPTED``)."""
_KEY_LINE_START = timed_compile(r"[A-Za-z0-9+/=]*\\?|[A-Za-z][A-Za-z\-]*(?::[^\r\n]*)?|-[\-A-Z0-9 ]*")
"""The start of such a line or of the END line (the last line, still arriving): ``Proc-Ty``,
``-----END RSA PRI``."""
_KEY_GAP = r"(?:\s|\\[rn])"
"""Between a key's lines: white space, or ``\\n`` as a key is written inside a JSON string."""
KEY_BLOCK_CHARS = 10_000
"""The longest private-key body `PATTERNS` reads between its BEGIN and END lines."""


def open_key_block(text: str) -> int:
    """Where a streamed prefix may be cut so that no private-key block is released before it
    ends (and the whole block can be found): the start of a block whose lines after its BEGIN
    line are all a key's so far (no END line, no prose yet), else ``len(text)``."""
    if "PRIVATE KEY" not in text[-(KEY_BLOCK_CHARS + 200):]:
        return len(text)
    last = _KEY_MARKERS.search(text, max(0, len(text) - KEY_BLOCK_CHARS - 200), timeout=REGEX_TIMEOUT)
    if last is None or not last.group().startswith("-----BEGIN") or len(text) - last.end() > KEY_BLOCK_CHARS:
        return len(text)
    *lines, arriving = text[last.end():].replace("\\r", "").replace("\\n", "\n").split("\n")
    if (all(_KEY_LINE.fullmatch(line.strip(), timeout=REGEX_TIMEOUT) for line in lines)
            and _KEY_LINE_START.fullmatch(arriving.strip(), timeout=REGEX_TIMEOUT)):
        return last.start()
    return len(text)  # prose after a BEGIN line: a text about keys, not a key still coming


PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern("private_key", "PEM private key block",
                  _KEY_BEGIN + r"[\s\S]{0,10000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", 1.0,
                  hints=("PRIVATE KEY",)),
    SecretPattern("private_key_cut", "PEM private key block without its END line (an answer cut short)",
                  _KEY_BEGIN + rf"(?:{_KEY_GAP}*[A-Za-z][A-Za-z\-]*:[^\r\n\\]*)*{_KEY_GAP}*[A-Za-z0-9+/=]{{16,}}"
                  rf"(?:{_KEY_GAP}+[A-Za-z0-9+/=]{{16,}})*", 1.0, hints=("PRIVATE KEY",)),
    SecretPattern("aws_access_key_id", "AWS access key id",
                  _B + r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}" + _E, 0.95,
                  hints=("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "A3T"), chunk=10),
    SecretPattern("aws_secret_access_key", "AWS secret access key (after its name)",
                  r"(?i:aws.{0,20}?secret.{0,20}?)[\"']?\s*[:=]\s*[\"']?"
                  r"(?P<secret>[A-Za-z0-9/+]{40})" + r"(?![A-Za-z0-9/+])", 0.95,
                  hints=("aws",), fold_hints=True),
    SecretPattern("google_api_key", "Google / GCP API key", _B + r"AIza[0-9A-Za-z_\-]{35}" + _E, 0.95,
                  hints=("AIza",), chunk=10),
    SecretPattern("google_oauth_token", "Google OAuth access token",
                  _B + r"ya29\.[0-9A-Za-z_\-]{20,}" + _E, 0.9,
                  hints=("ya29.",), chunk=10),
    SecretPattern("github_token", "GitHub token",
                  _B + r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})" + _E, 0.98,
                  hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), chunk=10),
    SecretPattern("gitlab_token", "GitLab personal access token", _B + r"glpat-[A-Za-z0-9_\-]{20,}" + _E, 0.95,
                  hints=("glpat-",), chunk=10),
    SecretPattern("slack_token", "Slack token", _B + r"xox[abposr]-[A-Za-z0-9\-]{10,250}" + _E, 0.95,
                  hints=("xox",), chunk=10),
    SecretPattern("slack_webhook", "Slack incoming webhook URL",
                  r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+", 0.95,
                  hints=("https://hooks.slack.com/services/T",), chunk=10),
    SecretPattern("stripe_key", "Stripe secret or restricted key",
                  _B + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}" + _E, 0.95,
                  hints=("_live_", "_test_"), chunk=10),
    SecretPattern("anthropic_key", "Anthropic API key", _B + r"sk-ant-[A-Za-z0-9_\-]{32,}" + _E, 0.98,
                  hints=("sk-ant-",), chunk=10),
    SecretPattern("openai_key", "OpenAI API key",
                  _B + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}" + _E, 0.9,
                  hints=("sk-",), chunk=10),
    SecretPattern("huggingface_token", "Hugging Face token", _B + r"hf_[A-Za-z0-9]{30,}" + _E, 0.9,
                  hints=("hf_",), chunk=10),
    SecretPattern("npm_token", "npm access token", _B + r"npm_[A-Za-z0-9]{36}" + _E, 0.95,
                  hints=("npm_",), chunk=10),
    SecretPattern("pypi_token", "PyPI upload token", _B + r"pypi-AgE[A-Za-z0-9_\-]{50,}" + _E, 0.98,
                  hints=("pypi-AgE",), chunk=10),
    SecretPattern("sendgrid_key", "SendGrid API key",
                  _B + r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}" + _E, 0.98,
                  hints=("SG.",), chunk=10),
    SecretPattern("twilio_key", "Twilio API key", _B + r"SK[0-9a-f]{32}" + _E, 0.7,
                  hints=("SK",), chunk=10),
    SecretPattern("azure_storage_key", "Azure storage account key in a connection string",
                  r"(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/]{80,100}={0,2})", 0.95,
                  hints=("accountkey=",), fold_hints=True, chunk=10),
    SecretPattern("jwt", "JSON Web Token",
                  _B + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}" + _E, 0.9,
                  hints=("eyJ",), chunk=10),
    SecretPattern("url_password", "password in a connection string or URL (also with no user: redis://:pw@)",
                  r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s:/@]{0,100}:(?P<secret>[^\s@/]{1,200})@[^\s@]",
                  0.9,
                  hints=("://",), chunk=10),
    SecretPattern("kv_password", "password in a key=value connection string or .env line",
                  r"(?i:(?<![^\W_])(?:[a-z0-9]*(?:password|passwd|pwd)|(?:[a-z0-9]+_)?pass)[ \t]*=[ \t]*)"
                  + _quoted_or_bare(r"(?P<secret>[^\s;'\"`]{3,200})"), 0.85,
                  hints=("pass", "pwd"), fold_hints=True, accept=_not_a_switch),
    SecretPattern("authorization_header", "credentials in an HTTP Authorization header",
                  r"(?i:\b(?:proxy-)?authorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
                  r"(?:(?i:basic)[ \t]+" + _NOT_A_VALUE
                  + r"(?P<secret>[A-Za-z0-9+/]{8,4000}={0,2})(?![\w+/=.\-])"
                  r"|(?i:bearer|token)[ \t]+" + _NOT_A_VALUE + _TOKEN + r"(?![\w+/=.~\-]))", 0.9,
                  hints=("authorization",), fold_hints=True),
    SecretPattern("kv_token", "an API key, token or secret given after its name (MY_API_KEY, access_token)",
                  r"(?<=(?i:(?<![^\W_])(?:api[_\-]?key|(?:access|auth|secret|private|client|app|signing|master)"
                  r"[_\-]?key|secret|token))[\"']?[ \t]*)[:=][ \t]*"  # (tried from the ":" or "=": 6x faster)
                  + _quoted_or_bare(_BARE_TOKEN, _TOKEN), 0.85,
                  hints=("key", "secret", "token"), fold_hints=True, accept=_looks_random),
    SecretPattern("said_password", "password, passcode or PIN given in prose or after a label",
                  r"(?i:\b(?:pass(?:word|wd|code|phrase)|pwd|pw|pin)(?:[ \t]+(?:code|number))?)"
                  r"[\"'”’]?(?:[ \t]+(?i:is|was)(?:[ \t]*:)?[ \t]+|[ \t]*[:=][ \t]*)"
                  r"(?:[\"'“‘]" + _NOT_A_VALUE + r"(?P<secret>[^\"'”’\n]{1,100})[\"'”’]"
                  r"|" + _NOT_A_VALUE + _NOT_A_WORD + r"(?P<secret>[^\s\"'<>`]{4,100}?)(?=[.,;:)]*(?:\s|\Z)))"
                  r"|(?i:\b(?:passcode|pin)(?:[ \t]+(?:code|number))?)[ \t]+(?P<secret>\d{4,12})(?![\w/:\-]|[.,]\d)"  # "PIN 4471.", not "pin 12.04"
                  + _NOT_A_YEAR_BEFORE_A_NOUN,
                  0.8,
                  hints=("pass", "pw", "pin"), fold_hints=True),
)
"""The shipped patterns, most specific first (overlaps keep the first, longest match)."""


_SPLIT_NOT_SPACE = "\x1c\x1d\x1e\x1f"
"""Characters ``str.split()`` cuts at that a regex ``\\s`` does not match (a pattern may hold
them): a text with one is not cut into chunks."""


def _view(text: str, fold: bool, chunk: int, views: dict[tuple[bool, int], str]) -> str:
    """``text`` case-folded when ``fold``, only its white-space-free chunks of ``chunk`` or
    more characters when ``chunk`` (joined by spaces); ``views`` keeps them for the next
    pattern."""
    key = fold, chunk
    out = views.get(key)
    if out is None:
        if fold:
            out = _view(text, False, chunk, views)
            out = out.lower() if out.isascii() else out.casefold()
        elif chunk and not any(c in text for c in _SPLIT_NOT_SPACE):
            out = " ".join([c for c in text.split() if len(c) >= chunk])
        else:
            out = text
        views[key] = out
    return out


def find_secrets(text: str, patterns: tuple[SecretPattern, ...] | list[SecretPattern] = PATTERNS,
                 *, timeout: float = REGEX_TIMEOUT) -> list[Finding]:
    """Secrets found in ``text``, ordered by position, without overlaps.

    Raises ``TimeoutError`` when a pattern runs longer than ``timeout`` seconds (fail closed).
    """
    found: list[Finding] = []
    views: dict[tuple[bool, int], str] = {}  # the text as hints are looked for in it
    for pat in patterns:
        if pat.hints:
            where = _view(text, pat.fold_hints, pat.chunk, views)
            for h in pat.hints:
                if h in where:
                    break
            else:
                continue
        for m in pat.compiled.finditer(text, timeout=timeout):
            group = "secret" if "secret" in pat.compiled.groupindex and m.group("secret") else 0
            start, end = m.span(group)
            if pat.accept is not None and not pat.accept(text[start:end]):
                continue
            found.append(Finding(SECRET, start, end, text[start:end], pat.score, pat.id))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept
