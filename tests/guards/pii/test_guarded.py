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


def test_a_parsed_answer_gets_the_originals_back_and_leaks_redacted() -> None:
    from pydantic import BaseModel

    from guardlayer.guards.json_output import JsonGuard

    class Invoice(BaseModel):
        customer_email: str
        notes: list[str]
        amount: float

    pii = PIIGuard(mode="regex")

    @guarded(input=[(pii, "fix")], output=[(JsonGuard(schema=Invoice), "reask"), (pii, "fix")])
    def extract(prompt: str) -> str:
        SEEN.append(prompt)
        email = prompt.split("from ")[1].split(" ")[0]  # the model copies the placeholder
        return ('{"customer_email": "%s", "notes": ["paid by %s", "cc bob.leak@example.org"], '
                '"amount": 12.5}' % (email, email))

    invoice = extract("Invoice from jane.doe@example.com for 12.50 USD")
    assert "jane.doe" not in SEEN[-1]
    assert invoice == Invoice(customer_email="jane.doe@example.com",
                              notes=["paid by jane.doe@example.com", "cc <EMAIL_ADDRESS>"], amount=12.5)
