"""``guardlayer demo``, the README's main job: every scene shows what its title says."""
from __future__ import annotations

import re

from guardlayer.demo import main


def _scenes(text: str) -> dict[int, str]:
    parts = re.split(r"^== (\d+)\. ", text, flags=re.M)
    return {int(n): body for n, body in zip(parts[1::2], parts[2::2])}


def test_every_scene_shows_its_outcome(capsys) -> None:
    assert main() == 0
    scenes = _scenes(capsys.readouterr().out)
    assert sorted(scenes) == list(range(1, 11))
    assert "the model was never called" in scenes[1] and "raised Blocked: blocked by injection" in scenes[1]
    assert "I'm <PERSON_1>, call me on <PHONE_NUMBER_1>" in scenes[2]
    assert "returned: 'Thanks Maria Lopez, we will call you at +1 415 555 0134" in scenes[2]
    pieces = int(re.search(r"streamed (\d+) pieces", scenes[3]).group(1))
    assert pieces > 1 and "Maria Lopez, the parcel goes" in scenes[3] and "<PERSON" not in scenes[3].split("returned:")[1]
    assert "returned: Refund(action='refund'" in scenes[4] and "reasks=1" in scenes[4]
    assert "fallback=value" in scenes[5] and "reasks=2" in scenes[5]
    assert "returned: 'Your order ships tomorrow.'" in scenes[6] and "retries=2" in scenes[6]
    assert "(second model)" in scenes[7]
    assert "[link removed]" in scenes[8] and "Refunds are subject to review" in scenes[8]
    assert "raised Blocked: blocked by policy" in scenes[9]
    assert "[...]" in scenes[10] and "login FAILED for bob" in scenes[10]
