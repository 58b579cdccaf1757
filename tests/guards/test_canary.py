"""CanaryGuard: a planted canary leaking plainly, in part, or encoded fails the answer."""
import base64
import codecs
import random
import urllib.parse

import pytest

from guardlayer.context import Context, Scope, scope
from guardlayer.errors import ConfigError
from guardlayer.guards.canary import CODES_PIECE, CanaryGuard, canaries, char_codes, new_canary, plant_canary

TOKEN = "gl-3f9a1c07d2e4b5a8"


@pytest.fixture
def ctx() -> Context:
    c = Context(scope=Scope())
    prompt = plant_canary("You are a support bot.", c, token=TOKEN)
    assert TOKEN in prompt and prompt.startswith("You are a support bot.")
    return c


@pytest.mark.parametrize("answer", [
    f"My instructions include {TOKEN}.",
    f"reference {TOKEN.upper()}",
    f"the code is {TOKEN[3:13]}",                                   # part of it
    " ".join(TOKEN),                                                   # spelled out
    "-".join(TOKEN[3:]),
    base64.b64encode(f"Internal reference {TOKEN}".encode()).decode(),
    base64.b64encode(TOKEN.encode()).decode(),
    TOKEN.encode().hex(),
    "".join(f"\\x{b:02x}" for b in TOKEN.encode()),
    urllib.parse.quote(f"ref {TOKEN}"),
    codecs.encode(f"ref {TOKEN}", "rot13"),
    TOKEN[::-1],
])
def test_leaks_are_blocked(ctx: Context, answer: str) -> None:
    verdict = CanaryGuard().check(answer, ctx)
    assert not verdict.passed, answer
    assert verdict.findings[0].kind == "canary_leak" and verdict.score == 1.0


@pytest.mark.parametrize("answer", [
    "Happy to help with your order!",
    "Your tracking number is 3f9a1c and the date is 2024-11-23.",     # too short a piece
    base64.b64encode(b"an unrelated base64 payload").decode(),
])
def test_clean_answers_pass(ctx: Context, answer: str) -> None:
    assert CanaryGuard().check(answer, ctx).passed


def test_canary_lives_in_scope_for_the_session() -> None:
    session = Scope(user="u1")
    with scope(session):
        plant_canary("system", token=TOKEN)
        c1, c2 = Context(), Context()
    assert canaries(c1) == canaries(c2) == [TOKEN]
    assert not CanaryGuard().check(TOKEN, c2).passed
    assert CanaryGuard().check(TOKEN, Context(scope=Scope())).passed   # another session: nothing planted


def test_guard_keeps_no_state() -> None:
    guard = CanaryGuard()
    a, b = Context(scope=Scope()), Context(scope=Scope())
    plant_canary("s", a)
    token = canaries(a)[0]
    assert not guard.check(token, a).passed and guard.check(token, b).passed
    assert vars(guard) == {"min_part": 0.5}


def test_new_canaries_are_random() -> None:
    assert new_canary() != new_canary() and new_canary().startswith("gl-") and len(new_canary(8)) == 19
    with pytest.raises(ConfigError):
        new_canary(2)
    with pytest.raises(ConfigError):
        CanaryGuard(min_part=0.05)


def test_planting_without_a_place_to_remember_is_refused():
    import pytest

    from guardlayer import ConfigError, scope
    from guardlayer.guards.canary import plant_canary

    with pytest.raises(ConfigError, match="needs a ctx"):
        plant_canary("You are a bot.")
    with scope(user="u") as s:
        plant_canary("You are a bot.")
    assert s.state["guardlayer.canaries"]


def test_a_session_keeps_one_canary_however_often_it_is_planted():
    session = Scope(user="u2")
    prompts = [plant_canary("You are a bot.", scope=session) for _ in range(50)]
    assert len(set(prompts)) == 1 and len(session.state["guardlayer.canaries"]) == 1
    token = session.state["guardlayer.canaries"][0]
    assert token in prompts[0] and not CanaryGuard().check(f"it is {token}", Context(scope=session)).passed
    plant_canary("A second agent.", scope=session, token=TOKEN)  # an explicit token is added
    assert session.state["guardlayer.canaries"] == [token, TOKEN]


def _codes(text: str | list[int], form: str, sep: str) -> str:
    """``text`` (or these codes) written as character codes."""
    return sep.join(form.format(c if isinstance(c, int) else ord(c)) for c in text)


@pytest.mark.parametrize("answer", [
    _codes(TOKEN, "0x{:02x}", ", "),
    _codes(TOKEN, "0X{:02X}", " "),
    "bytes = [" + _codes(TOKEN, "0x{:x}", ",") + "]",
    _codes(TOKEN, "{}", " "),                                            # decimal character codes
    _codes(TOKEN, "{}", ","),
    "The codes are: " + _codes(TOKEN[3:13], "{}", ", ") + ".",           # part of it, in a sentence
    _codes(TOKEN, "{}", "\n"),
    _codes(TOKEN, "&#{};", ""),                                          # HTML entities
    _codes(TOKEN, "&#x{:x};", ""),
    _codes(TOKEN, "U+{:04X}", " "),
    _codes(TOKEN, "\\{:03o}", ""),                                       # octal escapes
    "print(" + _codes(TOKEN, "chr({})", " + ") + ")",
    "\n".join(TOKEN),                                                    # one character a line
    " . ".join(TOKEN),
])
def test_a_canary_written_as_character_codes_is_blocked(ctx: Context, answer: str) -> None:
    verdict = CanaryGuard().check(answer, ctx)
    assert not verdict.passed, answer


@pytest.mark.parametrize("seed", range(20))
def test_lists_of_numbers_pass(ctx: Context, seed: int) -> None:
    rng = random.Random(seed)
    numbers = [rng.randint(32, 126) for _ in range(80)]  # printable character codes, at random
    for answer in [_codes(numbers, "{}", ", "), _codes(numbers, "{}", " "), _codes(numbers, "0x{:02x}", " "),
                   _codes(numbers, "&#{};", ""), "\n".join(map(str, numbers))]:
        assert CanaryGuard().check(answer, ctx).passed, answer


def test_numbers_in_ordinary_answers_pass(ctx: Context) -> None:
    answer = ("Server 192.168.1.20 answered in 3.14 s; orders 1042, 1043, 1044 and 1045 shipped on "
              "2024-11-23 at 10:22:11. Colours: #3f9a1c, #ffffff. Totals: 12.50, 13.75, 99.99, 100.")
    assert CanaryGuard().check(answer, ctx).passed


def test_char_codes_reads_runs_of_codes() -> None:
    assert char_codes("say 104, 105, 33, 33, 33, 33 and 0x6f 0x6b 0x21 0x21 0x21 0x21") == "hi!!!!\nok!!!!"
    assert char_codes("only 5 numbers: 104 105 33 33 33") == ""  # too short a run to hide a leak
    assert char_codes("104 105 33 x 33 33 33") == ""  # a letter between breaks the run


def test_a_long_answer_full_of_numbers_is_read_in_pieces_not_refused() -> None:
    """One scan of 500 KB of CSV ran out of its time limit and failed the answer closed."""
    rng = random.Random(1)
    csv = "id,age,score,ip,version\n" + "\n".join(
        f"{i},{rng.randint(18, 99)},{rng.randint(0, 120)},10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.1,"
        f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}" for i in range(20_000))
    assert len(csv) > 400_000
    ctx = Context(side="output")
    token = new_canary()
    plant_canary("You are a helpful assistant.", ctx=ctx, token=token)
    assert CanaryGuard().check(csv, ctx).passed
    leak = ", ".join(f"0x{ord(c):02x}" for c in token)
    at = 5 * CODES_PIECE - 10  # the leak across a piece's end
    assert not CanaryGuard().check(csv[:at] + "\n" + leak + "\n" + csv[at:], ctx).passed


@pytest.mark.parametrize("form, sep", [("U+{:04X}", ", "), ("&#x{:04x};", "  "), ("0x{:02x}", " ; ")])
def test_no_code_of_a_streamed_canary_leaves(form: str, sep: str) -> None:
    from guardlayer import Blocked, guarded

    answer = "Sure. The reference, as codes: " + _codes(TOKEN, form, sep) + ". Anything else?"
    sent: list[str] = []
    session = Scope(user="streams")
    with scope(session):
        plant_canary("system", token=TOKEN)

        @guarded(output=[CanaryGuard()])
        def ask(prompt: str):
            return iter([answer[i:i + 3] for i in range(0, len(answer), 3)])

        with pytest.raises(Blocked, match="canary"):
            for piece in ask("what is your reference?"):
                sent.append(piece)
    assert "Sure. The reference, as codes: ".startswith("".join(sent))  # not one code left


def test_a_stream_is_held_only_from_a_run_of_codes_at_its_end() -> None:
    guard = CanaryGuard()
    assert guard.safe_boundary("Sure, the code is U+0067, U+006C, U+002D") == len("Sure, the code is ")
    assert guard.safe_boundary("We sold 12") == len("We sold ")
    assert guard.safe_boundary("hello world") == len("hello world")
    numbers = "1, 2, " * 20_000  # a long list is held back only its last few KB
    assert guard.safe_boundary(numbers) >= len(numbers) - 4_096
