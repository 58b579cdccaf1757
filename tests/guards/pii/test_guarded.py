"""End to end through ``@guarded``: the model (a fake) sees only placeholders; the caller gets
the original values back, sync, async and streamed."""
from guardlayer.decorator import guarded
from guardlayer.guards.pii import PIIGuard

PROMPT = "Please email jane.doe@example.com and call +1 (202) 555-0134 today."
SEEN: list[str] = []


def _echo(prompt: str) -> str:
    SEEN.append(prompt)
    return f"Noted: {prompt}"


def test_sync_round_trip() -> None:
    pii = PIIGuard(mode="regex")

    @guarded(input=[(pii, "fix")], output=[pii])
    def ask(prompt: str) -> str:
        return _echo(prompt)

    assert ask(PROMPT) == f"Noted: {PROMPT}"
    assert "jane.doe" not in SEEN[-1] and "<EMAIL_ADDRESS_1>" in SEEN[-1]


async def test_async_round_trip() -> None:
    pii = PIIGuard(mode="regex")

    @guarded(input=[(pii, "fix")], output=[pii])
    async def ask(prompt: str) -> str:
        return _echo(prompt)

    assert await ask(PROMPT) == f"Noted: {PROMPT}"
    assert "555-0134" not in SEEN[-1]


def test_streamed_round_trip() -> None:
    pii = PIIGuard(mode="regex")

    @guarded(input=[(pii, "fix")], output=[pii])
    def ask(prompt: str):  # type: ignore[no-untyped-def]
        answer = _echo(prompt)
        for i in range(0, len(answer), 3):  # cuts placeholders such as <EMA|IL_|ADD...
            yield answer[i:i + 3]

    assert "".join(ask(PROMPT)) == f"Noted: {PROMPT}"
    assert "jane.doe" not in SEEN[-1]
