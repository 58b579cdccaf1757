"""The shipped support bot takes a receipt attached by file id: its token_limit counts such a file
as ``file_tokens`` instead of blocking a call whose size it cannot read."""
from __future__ import annotations

from pathlib import Path

from guardlayer import guarded
from guardlayer.testing import ScriptedModel

RULES = Path(__file__).resolve().parent.parent / "rules"


def test_the_support_bot_takes_a_file_attached_by_id() -> None:
    model = ScriptedModel(["ok"])

    @guarded(rules=RULES / "support_bot.yaml")
    def ask(messages: list) -> str:
        return model(messages=messages)

    turn = {"role": "user", "content": [{"type": "text", "text": "Here is my receipt, the charge is wrong."},
                                        {"type": "file", "file": {"file_id": "file-abc123"}}]}
    assert ask([turn]).startswith("ok")
    assert model.calls[-1][0]["content"][1] == {"type": "file", "file": {"file_id": "file-abc123"}}
