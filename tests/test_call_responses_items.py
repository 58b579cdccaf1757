"""Newer OpenAI Responses input items are read rather than refused: the model's shell commands and
patches as its own text, what the shell and the patch tool gave back as tool output; opaque
``encrypted_content`` (compaction, reasoning) is left alone; the citations of an ``output_text``
(a page's title and URL, a file's name) are read as the model's own earlier answer. Shapes as in
the Responses API reference (``shell_call``, ``shell_call_output``, ``apply_patch_call``,
``apply_patch_call_output``, ``compaction``)."""
from __future__ import annotations

import copy

import pytest
from support import Deny

from guardlayer import Blocked, ConfigError, guarded, last_report
from guardlayer.call import CallShape
from guardlayer.guards.pii import PIIGuard

EMAIL = "jane.doe@example.com"
USER = {"role": "user", "content": "hi"}
SHELL_CALL = {"type": "shell_call", "id": "sh_1", "call_id": "call_1", "status": "completed",
              "action": {"commands": [f"grep -r {EMAIL} notes/"], "timeout_ms": 1000, "max_output_length": 4096},
              "environment": {"type": "container_reference", "container_id": "cntr_1"}}
SHELL_OUTPUT = {"type": "shell_call_output", "id": "sho_1", "call_id": "call_1", "max_output_length": 4096,
                "output": [{"stdout": f"notes/a.txt: {EMAIL}", "stderr": "grep: notes/b: EVIL",
                            "outcome": {"type": "exit", "exit_code": 0}}]}
PATCH_CALL = {"type": "apply_patch_call", "id": "ap_1", "call_id": "call_2", "status": "completed",
              "operation": {"type": "update_file", "path": "contacts.txt", "diff": f"@@\n-old\n+{EMAIL}\n"}}
PATCH_OUTPUT = {"type": "apply_patch_call_output", "id": "apo_1", "call_id": "call_2", "status": "failed",
                "output": "EVIL: the patch did not apply"}
OPAQUE = [{"type": "compaction", "id": "cmp_1", "encrypted_content": "gAAAAABo-opaque"},
          {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAABo-opaque"}]


def _create(**kwargs):
    return kwargs


def _slots(items):
    return [(s.target, s.source, s.text) for s in CallShape.of(_create).bind((), {"input": items}).slots()]


def test_shell_and_patch_items_are_read_with_their_sources():
    assert _slots([USER, SHELL_CALL, SHELL_OUTPUT, PATCH_CALL, PATCH_OUTPUT, *OPAQUE]) == [
        ("input[0]", "user", "hi"),
        ("input[1].action.commands[0]", "assistant", f"grep -r {EMAIL} notes/"),
        ("input[2].output[0].stdout", "tool", f"notes/a.txt: {EMAIL}"),
        ("input[2].output[0].stderr", "tool", "grep: notes/b: EVIL"),
        ("input[3].operation.path", "assistant", "contacts.txt"),
        ("input[3].operation.diff", "assistant", f"@@\n-old\n+{EMAIL}\n"),
        ("input[4]", "tool", "EVIL: the patch did not apply")]


@pytest.mark.parametrize("item, where", [(SHELL_OUTPUT, "input[1].output[0].stderr"), (PATCH_OUTPUT, "input[1]")])
def test_what_a_shell_or_the_patch_tool_gave_back_is_judged_as_tool_output(item, where):
    with pytest.raises(Blocked):
        guarded(_create, input=[Deny("EVIL")])(input=[USER, item])
    assert last_report().checks[-1].target == where


def test_fixed_texts_go_back_in_place_and_opaque_items_pass_as_they_are():
    items = [USER, SHELL_CALL, SHELL_OUTPUT, PATCH_CALL, PATCH_OUTPUT, *OPAQUE]
    before = copy.deepcopy(items)
    sent = guarded(_create, input=[PIIGuard(mode="regex")])(input=items)["input"]
    assert EMAIL not in repr(sent) and items == before
    assert sent[1]["action"] == {**SHELL_CALL["action"], "commands": ["grep -r <EMAIL_ADDRESS_1> notes/"]}
    assert sent[2]["output"] == [{**SHELL_OUTPUT["output"][0], "stdout": "notes/a.txt: <EMAIL_ADDRESS_1>"}]
    assert sent[3]["operation"] == {**PATCH_CALL["operation"], "diff": "@@\n-old\n+<EMAIL_ADDRESS_1>\n"}
    assert sent[4:] == [PATCH_OUTPUT, *OPAQUE]


def test_output_text_citations_are_read_as_the_models_own_answer():
    answer = {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed", "content": [
        {"type": "output_text", "text": "See the page [1] and notes.pdf.", "annotations": [
            {"type": "url_citation", "url": "https://example.com/staff?who=jane", "title": f"Staff: {EMAIL}",
             "start_index": 8, "end_index": 16},
            {"type": "file_citation", "file_id": "file-1", "filename": f"notes ({EMAIL}).pdf", "index": 20},
            {"type": "file_path", "file_id": "file-2", "index": 0}]}]}
    assert _slots([USER, answer])[1:] == [
        ("input[1].content[0]", "assistant", "See the page [1] and notes.pdf."),
        ("input[1].content[0].annotations[0].title", "assistant", f"Staff: {EMAIL}"),
        ("input[1].content[0].annotations[0].url", "assistant", "https://example.com/staff?who=jane"),
        ("input[1].content[0].annotations[1].filename", "assistant", f"notes ({EMAIL}).pdf")]
    assert guarded(_create, input=[Deny("Staff")])(input=[USER, answer])["input"][1] == answer  # ours: not judged
    sent = guarded(_create, input=[PIIGuard(mode="regex")])(input=[USER, answer])["input"][1]
    notes = sent["content"][0]["annotations"]
    assert notes[0]["title"] == "Staff: <EMAIL_ADDRESS_1>" and notes[1]["filename"] == "notes (<EMAIL_ADDRESS_1>).pdf"
    assert notes[2] == answer["content"][0]["annotations"][2] and EMAIL in repr(answer)


def test_an_unknown_item_holding_text_is_still_refused():
    with pytest.raises(ConfigError, match=r"input\[1\] is an item of type 'shell_session'.*holds text"):
        guarded(_create, input=[Deny("EVIL")])(input=[USER, {"type": "shell_session", "id": "s", "log": "EVIL"}])
