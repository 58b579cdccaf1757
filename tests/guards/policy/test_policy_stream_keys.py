"""A streamed private key is held back until its END line arrives, so the policy's ``secrets``
rule judges the whole block before any of it leaves (the block is longer than the holdback); a
key cut short (no END line) is a secret too, and a text that only names a BEGIN line streams."""
from __future__ import annotations

import base64

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.policy import PolicyGuard
from guardlayer.secrets import find_secrets, open_key_block

BODY = base64.b64encode(bytes(range(256)) * 3).decode()
KEY = ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(BODY[i:i + 64] for i in range(0, len(BODY), 64))
       + "\n-----END RSA PRIVATE KEY-----")


@pytest.mark.parametrize("size", [4, 33, 200])
def test_no_line_of_a_streamed_key_leaves(size: int) -> None:
    answer = f"Here is the key you asked for:\n{KEY}\nKeep it safe."
    sent: list[str] = []

    @guarded(output=[PolicyGuard(rules=[{"id": "keys", "kind": "secrets"}])])
    def ask(prompt: str):
        return iter([answer[i:i + size] for i in range(0, len(answer), size)])

    with pytest.raises(Blocked, match="keys"):
        for piece in ask("the key?"):
            sent.append(piece)
    assert not any(line in "".join(sent) for line in KEY.splitlines()[1:-1])


def test_an_open_block_is_where_a_prefix_may_be_cut() -> None:
    text = "Here:\n" + KEY + "\nbye"
    end = len("Here:\n") + len(KEY)
    assert open_key_block(text[:40]) == 6
    assert open_key_block(text[:end - 5]) == 6  # the END line not whole yet
    assert open_key_block(text[:end]) == end
    assert open_key_block("no key here " * 100) == 1200
    assert open_key_block(text[:6 + 40] + "x" * 20_000) == 6 + 40 + 20_000  # too long to be a key
    assert open_key_block(text[:6 + 36]) == 6  # the first line still arriving
    assert open_key_block("-----BEGIN RSA PRIVATE KEY-----\nProc-Ty") == 0  # a header arriving


@pytest.mark.parametrize("prose", [
    "A PEM key starts with -----BEGIN PRIVATE KEY----- and ends with an END line; never paste one",
    "The header line:\n-----BEGIN RSA PRIVATE KEY-----\nis followed by the base64 body, then",
])
def test_a_text_that_only_names_a_begin_line_is_not_held(prose: str) -> None:
    assert open_key_block(prose + " more words " * 50) == len(prose) + len(" more words ") * 50


@pytest.mark.parametrize("after", ["", "\n\nThat is all I can show of it.", "\n"])
def test_a_key_cut_short_is_a_secret(after: str) -> None:
    cut = KEY.split("\n-----END")[0].rsplit("\n", 3)[0]  # the END line and the last lines missing
    text = "Here it is:\n" + cut + after
    found = find_secrets(text)
    assert [(f.detail, f.start, f.end) for f in found] == [("private_key_cut", 12, 12 + len(cut))]


def test_a_whole_key_is_found_whole() -> None:
    assert [(f.detail, f.end - f.start) for f in find_secrets(KEY + "\nok")] == [("private_key", len(KEY))]


def test_a_key_written_in_a_json_string_and_cut_short_is_a_secret() -> None:
    import json

    document = json.dumps({"type": "service_account", "pk": KEY + "\n"})
    cut = document[:document.index("-----END") - 100]
    found = find_secrets(cut)
    assert [(f.detail, f.start) for f in found] == [("private_key_cut", cut.index("-----BEGIN"))]
    assert found[0].end == len(cut)
    assert open_key_block(cut) == cut.index("-----BEGIN") and open_key_block(cut + "\\") == cut.index("-----BEGIN")
