"""A streamed answer is released between words: a token longer than the holdback (a JWT, an
API key) never leaves in part, a prefix guard never judges a word cut in two, and an answer in
a script written without spaces still streams. A guard whose ``safe_boundary`` raises cuts the
stream (fail closed)."""
from __future__ import annotations

import base64
import json

import pytest

from guardlayer import Blocked, Verdict, guarded
from guardlayer.guards.pii import PIIGuard


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _jwt() -> str:
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return (part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": "1234567890", "name": "John Doe",
                                                               "scope": "read write delete admin"})
            + "." + base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("="))


def test_a_token_longer_than_the_holdback_never_leaves_in_part() -> None:
    token = _jwt()
    assert len(token) > 2 * 64
    answer = f"Here is what you asked for:\n{token}\nKeep it safe."
    pii = PIIGuard(mode="regex")

    @guarded(output=[(pii, "fix")])
    def ask(prompt: str):
        return iter(_pieces(answer, 4))

    sent = list(ask("the deploy token?"))
    whole = "".join(sent)
    assert whole == "Here is what you asked for:\n<SECRET>\nKeep it safe."


class Names:
    """A prefix guard that fixes any word starting 'Don' as a name: judged on a prefix cut
    inside "Done" it would replace the fragment."""
    name = "names"
    holdback = 8

    def check(self, text: str, ctx) -> Verdict:
        import regex
        fixed = regex.sub(r"\bDon\b", "<PERSON>", text, timeout=1)
        return Verdict.ok() if fixed == text else Verdict.fail("a name", fixed=fixed)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_a_prefix_is_never_judged_with_a_word_cut_in_two(size) -> None:
    answer = "Done: your order has shipped. Done again, and Don will call you."

    @guarded(output=[(Names(), "fix")])
    def ask(prompt: str):
        return iter(_pieces(answer, size))

    assert "".join(ask("status?")) == "Done: your order has shipped. Done again, and <PERSON> will call you."


def test_an_answer_without_spaces_streams_before_its_end() -> None:
    answer = "您好，这是您的订单状态。" * 20
    pulled: list[int] = []

    class Quiet:
        name = "quiet"
        holdback = 10

        def check(self, text, ctx):
            return Verdict.ok()

    def chunks():
        for i, piece in enumerate(_pieces(answer, 5)):
            pulled.append(i)
            yield piece

    @guarded(output=[Quiet()])
    def ask(prompt: str):
        return chunks()

    stream = ask("status?")
    first = next(iter(stream))
    assert first and len(pulled) < len(answer) // 5 // 2  # released long before the end
    assert first + "".join(stream) == answer


def test_a_safe_boundary_that_raises_cuts_the_stream() -> None:
    closed = []

    class Broken:
        name = "broken"
        holdback = 4

        def check(self, text, ctx):
            return Verdict.ok()

        def safe_boundary(self, text: str) -> int:
            raise ValueError("bug")

    def chunks():
        try:
            yield from _pieces("some ordinary answer text " * 4, 6)
        finally:
            closed.append(True)

    @guarded(output=[Broken()])
    def ask(prompt: str):
        return chunks()

    with pytest.raises(Blocked, match="broken: safe_boundary raised ValueError: bug"):
        list(ask("hi"))
    assert closed


@pytest.mark.parametrize("size", [4, 50])
def test_no_line_of_a_streamed_private_key_leaves_the_pii_guard(size) -> None:
    body = base64.b64encode(bytes(range(256)) * 3).decode()
    key = ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
           + "\n-----END RSA PRIVATE KEY-----")
    answer = f"Here is the key you asked for:\n{key}\nKeep it safe."

    @guarded(output=[(PIIGuard(mode="regex"), "fix")])
    def ask(prompt: str):
        return iter(_pieces(answer, size))

    assert "".join(ask("the key?")) == "Here is the key you asked for:\n<SECRET>\nKeep it safe."


def test_a_run_without_spaces_longer_than_any_key_still_streams() -> None:
    answer = '{"rows": [' + ",".join(f'{{"id":{i},"name":"item{i}"}}' for i in range(3000)) + "]}"
    pulled: list[int] = []

    def chunks():
        for i, piece in enumerate(_pieces(answer, 100)):
            pulled.append(i)
            yield piece

    @guarded(output=[(PIIGuard(mode="regex"), "fix")])
    def ask(prompt: str):
        return chunks()

    released, out = 0, []
    for piece in ask("rows?"):
        out.append(piece)
        if len(pulled) * 100 < len(answer) // 2:  # while the first half was arriving
            released += len(piece)
    assert released > len(answer) // 4 and "".join(out) == answer


def test_a_canary_holds_back_only_the_numbers_at_the_end() -> None:
    from guardlayer import scope
    from guardlayer.context import Scope
    from guardlayer.guards.canary import CanaryGuard, plant_canary

    numbers = ", ".join(str(i * 7919 % 100_003) for i in range(12_000))
    pulled: list[int] = []

    def chunks():
        for i, piece in enumerate(_pieces(numbers, 500)):
            pulled.append(i)
            yield piece

    with scope(Scope(user="numbers")):
        plant_canary("system")

        @guarded(output=[CanaryGuard()])
        def ask(prompt: str):
            return chunks()

        stream = ask("numbers?")
        first = next(iter(stream))
        assert len(pulled) < len(numbers) // 500 // 2
        assert first + "".join(stream) == numbers
