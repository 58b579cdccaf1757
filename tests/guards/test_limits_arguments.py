"""A token limit holds for the whole call: a prompt and its document arguments together, and a
conversation together with documents passed beside it."""
from __future__ import annotations

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit, level
from guardlayer.tokens import count

DOC = " ".join(f"word{i}" for i in range(300))  # several hundred tokens


def _tokens(text: str) -> int:
    return count(text, "gpt-4o").tokens


def _asker(strategy: str, limit: int, seen: list):
    @guarded(input=[TokenLimit(max_tokens=limit, model="gpt-4o", strategy=strategy)],
             untrusted={"question": "user", "docs": "document"})
    def ask(question: str, docs: list[str]) -> str:
        seen.append((question, list(docs)))
        return "ok"
    return ask


def test_documents_beside_a_question_count_towards_the_limit():
    per_doc = _tokens(DOC)
    seen: list = []
    with pytest.raises(Blocked, match="texts have"):
        _asker("block", 3 * per_doc, seen)("Which is right?", [DOC] * 5)  # each fits, all do not
    assert seen == []
    assert _asker("block", 6 * per_doc, seen)("Which is right?", [DOC] * 5) == "ok"


def test_truncation_cuts_the_longest_texts_down_to_one_length():
    per_doc, seen = _tokens(DOC), []
    short = "a short note"
    _asker("truncate_tail", 3 * per_doc, seen)("Which is right?", [DOC, short, DOC, DOC, DOC])
    question, docs = seen[0]
    assert question == "Which is right?" and docs[1] == short  # short texts are not cut
    assert sum(map(_tokens, [question, *docs])) <= 3 * per_doc
    cut = [_tokens(d) for d in docs if d != short]
    assert max(cut) - min(cut) <= 1 and all(d == short or DOC.startswith(d[:100]) for d in docs)  # heads kept


def test_documents_beside_a_conversation_leave_it_the_rest():
    per_doc = _tokens(DOC)

    @guarded(input=[TokenLimit(max_tokens=2 * per_doc, model="gpt-4o", strategy="block")],
             untrusted={"docs": "document"})
    def chat(messages, docs: list[str]) -> str:
        return "ok"

    conversation = [{"role": "user", "content": DOC}]
    assert chat(conversation, ["tiny"]) == "ok"
    with pytest.raises(Blocked):
        chat(conversation, [DOC])  # the conversation alone fits, not with the document


def test_level():
    assert level([700, 700, 100], 1000) == 450
    assert level([700, 50, 100], 1000) == 700  # (within the limit: nothing cut)
    assert level([700, 700, 100], 101) == 33  # the shortest too
    assert level([700, 700, 100], 2) == 0  # not even a token each
    assert level([450, 700, 100], 1000) == 450  # once one text is cut, the others' length holds


def test_a_summary_longer_than_its_share_blocks():
    per_doc = _tokens(DOC)

    @guarded(input=[TokenLimit(max_tokens=2 * per_doc, model="gpt-4o", strategy="summarize",
                               summarizer=lambda text, limit: text)],  # returns more than asked
             untrusted={"question": "user", "docs": "document"})
    def ask(question: str, docs: list[str]) -> str:
        return "ok"

    with pytest.raises(Blocked, match="over its share"):
        ask("q", [DOC, DOC, DOC])
