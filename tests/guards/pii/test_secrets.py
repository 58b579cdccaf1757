import pytest

from guardlayer.secrets import PATTERNS, SECRET, find_secrets

CASES = [
    ("key AKIAIOSFODNN7EXAMPLE here", "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("token ghp_" + "a1" * 18 + " ok", "github_token", "ghp_" + "a1" * 18),
    ("use sk-proj-abcdefghijklmnopqrstuvwxyz123", "openai_key", "sk-proj-abcdefghijklmnopqrstuvwxyz123"),
    ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "google_api_key", "AIzaSyD-1234567890abcdefghijklmnopqrstu"),
    ("xoxb-123456789012-abcdefghijkl", "slack_token", "xoxb-123456789012-abcdefghijkl"),
    ("db postgres://admin:s3cr3tPass@db.example.com:5432/app", "url_password", "s3cr3tPass"),
    ("Server=x;User Id=sa;Password=Hunter2!;", "kv_password", "Hunter2!"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
    ("my password is Summer2024!", "said_password", "Summer2024!"),
    ("pw: hunter2", "said_password", "hunter2"),
    ('the wifi password is "correct horse"', "said_password", "correct horse"),
    ("Password: Tr0ub4dor&3.", "said_password", "Tr0ub4dor&3"),
    ("passcode 4471", "said_password", "4471"),
    ("Your PIN is 4471, keep it safe", "said_password", "4471"),
    ('{"user": "ana", "password": "letmein"}', "said_password", "letmein"),
    ("PASSPHRASE = 'purple monkey dishwasher'", "said_password", "purple monkey dishwasher"),
    ("The password was: hunTer", "said_password", "hunTer"),
    ("DB_PASSWORD=Xk9#mQ2!vR7pL", "kv_password", "Xk9#mQ2!vR7pL"),
    ("PIN 4471", "said_password", "4471"),
    ("PIN 2024", "said_password", "2024"),
    ("my PIN is 2024", "said_password", "2024"),
    ("PIN 2024 and the card", "said_password", "2024"),
    ("the PIN 1234 policy", "said_password", "1234"),
    ("My PIN 4471.", "said_password", "4471"),
    ("card PIN 0092, then the code", "said_password", "0092"),
]

NOT_PASSWORDS = [
    "password is required", "Password is incorrect, try again.", "the password policy says 8+",
    "reset your password", "Password: ********", "password: <redacted>", "Password: [REDACTED]",
    "Your password is too short.", "your pin is wrong", "the password is case-sensitive",
    "passwords: must be at least 8 characters", "password is at least 12 characters",
    "password: ${DB_PASSWORD}", "password: {{ vault_password }}", "password = get_password()",
    "password = os.environ['DB_PASSWORD']", "password = config.password", "password = db_password",
    "pwd: /home/olivia", "password: https://example.com/reset", '"password": {"type": "string"}',
    '"password": null', "password: N/A", 'password: "********"', "Password: xxxxxxxx",
    "pin: 13 on the GPIO header", "the PIN number is on the card", 'password: "<your password>"',
    "the password 2024 policy", "The PIN 2024 edition of the handbook", "pin 1999 model",
    "MAIL_PASSWORD=null", "MAIL_PASSWORD=null\nMAIL_HOST=smtp",
    "pin 12.04 of the connector", "PIN 1234,5 mm spacing", "pin 2024/25 season",
]


@pytest.mark.parametrize("text,pattern_id,secret", CASES)
def test_finds_each_kind_with_exact_span(text: str, pattern_id: str, secret: str) -> None:
    found = find_secrets(text)
    assert [(f.kind, f.detail) for f in found] == [(SECRET, pattern_id)]
    assert text[found[0].start:found[0].end] == secret


def test_ordinary_text_has_no_secrets() -> None:
    text = ("The quick brown fox visited https://example.com/docs?id=42 and wrote "
            "password reset instructions for ACME-2024-ZX in skeleton-key style.")
    assert find_secrets(text) == []


@pytest.mark.parametrize("text", NOT_PASSWORDS)
def test_words_about_passwords_are_no_password(text: str) -> None:
    assert find_secrets(text) == []


def test_pattern_ids_are_unique() -> None:
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))


def test_findings_sorted_and_non_overlapping() -> None:
    text = "a AKIAIOSFODNN7EXAMPLE b ghp_" + "x" * 36 + " c"
    found = find_secrets(text)
    assert [f.detail for f in found] == ["aws_access_key_id", "github_token"]
    assert found[0].end <= found[1].start


def _without_hints() -> list:
    from dataclasses import replace
    return [replace(p, hints=(), chunk=0) for p in PATTERNS]


def test_hints_never_change_what_is_found() -> None:
    """The literal pre-checks only skip regexes that cannot match: the same findings with and
    without them, on every example embedded in prose, in mixed case and glued to other text."""
    texts = [t for t, _, _ in CASES]
    texts += [f"Here: {t}. And more prose around it, with words." for t in texts]
    texts += [t.upper() for t in texts] + [t.replace(" ", "\n") for t in texts]
    texts += ["AWS Secret Key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
              "AccountKey=" + "A" * 88 + "==", "PWD = hunter22;", "paſſword=hunter22",
              "x" * 30 + "sk_live_" + "a" * 20, "see https://hooks.slack.com/services/T0/B1/abc",
              "db pg://a\x1cb:secretpw@host", "u ab://c:d@e f"]
    bare = _without_hints()
    for text in texts:
        assert find_secrets(text) == find_secrets(text, bare), text


def test_hints_are_literals_of_every_match() -> None:
    # each shipped example is found through its hints (a pattern whose hint were wrong would
    # be skipped and the example missed)
    for text, pattern_id, _ in CASES:
        pat = next(p for p in PATTERNS if p.id == pattern_id)
        assert [f.detail for f in find_secrets(text, [pat])] == [pattern_id]
