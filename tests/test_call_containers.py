"""Every text a call carries is read, whatever holds it, or the call is refused: the default
prompt beside ``untrusted`` arguments, messages in other containers, documents as objects, text
given by position to ``*args``."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import pytest
from support import Deny

from guardlayer import Blocked, ConfigError, guarded
from guardlayer.guards.pii import PIIGuard


def test_untrusted_arguments_add_to_the_prompt_they_do_not_replace_it():
    @guarded(input=[(Deny("bad"), "fix")], untrusted={"docs": "document"})
    def rag(prompt: str, docs: list[str]):
        return prompt, docs

    assert rag("a bad question", ["a bad page"]) == ("a *** question", ["a *** page"])

    @guarded(input=[(Deny("bad"), "fix")], untrusted={"docs": "document"})
    def ask(docs: list[str], question: str, top_k: int = 4):  # the str argument untrusted does not name
        return question

    assert ask(["page"], "a bad question") == "a *** question"

    @guarded(input=[Deny("bad")], untrusted={"docs": "document"})
    def search(docs, k=4):  # no prompt: the only other argument has a default
        return k

    assert search(["page"], 8) == 8


def test_several_str_arguments_beside_untrusted_ones_are_not_guessed():
    def ask(model: str, question: str, docs: list[str]):
        return question

    with pytest.raises(ConfigError, match="several str arguments: model, question"):
        guarded(ask, input=[Deny("bad")], untrusted={"docs": "document"})
    named = guarded(ask, input=[Deny("bad")], untrusted={"question": "user", "docs": "document"})
    assert named("bad-model", "fine", ["page"]) == "fine"  # the user's text is named: model is not read


@pytest.mark.parametrize("make", [list, tuple, deque, iter, lambda m: (x for x in m), lambda m: map(dict, m)],
                         ids=["list", "tuple", "deque", "iterator", "generator", "map"])
def test_messages_in_any_container_are_read_and_sent_as_read(make):
    sent = []

    @guarded(input=[(Deny("bad"), "fix")])
    def chat(messages):
        sent.append(messages)
        return "ok"

    chat(make([{"role": "system", "content": "be brief"}, {"role": "user", "content": "a bad day"}]))
    assert [m["content"] for m in sent[0]] == ["be brief", "a *** day"]  # (a one-shot iterator not sent empty)


def test_a_message_alone_or_text_in_a_field_no_provider_reads_is_refused():
    chat = guarded(lambda messages: "ok", input=[Deny("bad")])
    with pytest.raises(ConfigError, match=r"holds dict, not a list of messages \(one message: pass \[message\]\)"):
        chat({"role": "user", "content": "bad"})
    with pytest.raises(ConfigError, match="holds str, not a list of messages"):
        chat("bad")
    with pytest.raises(ConfigError, match="messages\\[0\\] holds text in 'text'"):
        chat([{"role": "user", "text": "bad"}])
    with pytest.raises(ConfigError, match="holds int, not text or a message"):
        chat([{"role": "user", "content": "fine"}, 7])
    assert chat([{"role": "assistant", "content": None, "tool_calls": []}, {"role": "user", "content": "hi"}]) == "ok"


def test_texts_as_messages_and_gemini_parts_are_read():
    seen = []

    class Sees:
        assistant_turns = True

        def check(self, text, ctx):
            seen.append((ctx.source, text))
            return Deny("bad").check(text, ctx)

    @guarded(input=[(Sees(), "fix")])
    def chat(messages):
        return messages

    assert chat(["a bad question"]) == ["a *** question"]
    image = {"inline_data": {"mime_type": "image/png", "data": "iVBO"}}
    sent = chat([{"role": "user", "parts": [{"text": "bad"}, image]},
                 {"role": "model", "parts": [{"text": "a bad answer"}]}])
    assert sent[0]["parts"] == [{"text": "***"}, image]
    assert sent[1]["parts"] == [{"text": "a *** answer"}]
    assert seen[-2:] == [("user", "bad"), ("assistant", "a bad answer")]  # Gemini's model turn is history
    with pytest.raises(ConfigError, match="Gemini part guardlayer does not read"):
        chat([{"role": "user", "parts": [{"future_part": {"name": "f", "body": "bad"}}]}])


@dataclass
class Document:
    """As LangChain's: the text in ``page_content``."""

    page_content: str
    metadata: dict
    type: str = "Document"


def test_documents_as_objects_or_mappings_are_read_and_fixed_in_place():
    @guarded(input=[(Deny("bad"), "fix")], untrusted={"question": "user", "docs": "document"})
    def rag(question: str, docs):
        return docs

    doc = Document("a bad page", {"source": "x"})
    assert rag("q", [doc]) == [Document("a *** page", {"source": "x"})] and doc.page_content == "a bad page"
    assert rag("q", doc) == Document("a *** page", {"source": "x"})
    assert rag("q", [{"id": 1, "text": "bad"}, {"page_content": "bad"}]) == [{"id": 1, "text": "***"},
                                                                              {"page_content": "***"}]
    with pytest.raises(Blocked):
        guarded(rag.__wrapped__, input=[Deny("bad")], untrusted={"question": "user", "docs": "document"})(
            "q", (d for d in [Document("bad", {})]))


def test_text_given_by_position_to_args_is_refused_not_passed_unread():
    sent = []

    @guarded(input=[Deny("bad")])
    def create(*args, **kwargs):
        sent.append((args, kwargs))
        return "ok"

    with pytest.raises(ConfigError, match=r"by position to \*args.*pass the text by keyword \(prompt=, input="):
        create("a bad prompt", instructions="Be brief.")
    assert sent == []
    assert create(3, prompt="fine", instructions="Be brief.") == "ok"  # a number holds no text
    with pytest.raises(Blocked):
        create(prompt="a bad prompt", instructions="Be brief.")


@dataclass
class Message:
    """As LangChain's messages: the role in ``type``."""

    type: str
    content: str


def test_langchain_messages_are_read_by_their_type_as_role():
    call = guarded(lambda messages: messages, input=[(Deny("bad"), "fix")])
    sent = call([Message("system", "no bad words"), Message("human", "a bad day"), Message("ai", "how bad?")])
    assert sent == [Message("system", "no bad words"), Message("human", "a *** day"), Message("ai", "how bad?")]


def test_a_wrappers_gemini_contents_are_read_as_text_or_turns():
    sent = []

    @guarded(input=[PIIGuard(mode="regex")])
    def generate(**kwargs):
        sent.append(kwargs)
        return "ok"

    generate(model="gemini", contents="write to alice.smith@example.com")
    generate(model="gemini", contents=[{"role": "user", "parts": [{"text": "mail alice.smith@example.com"}]}])
    assert "alice.smith" not in repr(sent) and sent[0]["contents"] == "write to <EMAIL_ADDRESS_1>"
