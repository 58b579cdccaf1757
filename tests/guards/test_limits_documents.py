"""Truncation shares the cut between a conversation and the documents passed beside it: the
longest texts, of either, are cut down to one length, as a prompt and its documents are; the
whole call ends within the limit, counted with a real encoding (o200k_base, gpt-4o)."""
from __future__ import annotations

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens import count, count_messages

DOC = " ".join(f"word{i}" for i in range(300))
LOG = "2024-05-01 10:22:11 WARN order-sync retry 3/5 for batch 88213, upstream latency 2300 ms\n"
STRATEGIES = ["truncate_head", "truncate_tail", "truncate_middle"]


def tokens(text: str) -> int:
    return count(text, "gpt-4o").tokens


def whole(messages: list, docs: list[str]) -> int:
    """The call's tokens: its messages as OpenAI counts them, and its documents."""
    return count_messages(messages, "gpt-4o").tokens + sum(map(tokens, docs))


def chat_with(limit: int, strategy: str, seen: list):
    @guarded(input=[TokenLimit(limit, model="gpt-4o", strategy=strategy)], untrusted={"docs": "document"})
    def chat(messages: list, docs: list[str]) -> str:
        seen.append((messages, list(docs)))
        return "ok"
    return chat


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_long_document_beside_a_short_chat_is_cut_and_the_chat_kept(strategy: str) -> None:
    conv = [{"role": "system", "content": "Answer from the document."},
            {"role": "user", "content": "What does the document say about word42?"}]
    doc, seen = DOC * 6, []
    assert chat_with(500, strategy, seen)(conv, [doc]) == "ok"
    ((messages, docs),) = seen
    assert messages == conv  # the user's question is not touched: the document absorbs the cut
    assert tokens(docs[0]) < tokens(doc) and 490 <= whole(messages, docs) <= 500


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_longest_texts_of_the_chat_and_the_documents_are_cut_to_one_length(strategy: str) -> None:
    long_doc, short_doc, log = DOC * 2, "a short note", LOG * 40
    question = "Which batch failed, by the log and the notes?"
    conv = [{"role": "system", "content": "You read logs."},
            {"role": "user", "content": log},
            {"role": "assistant", "content": "Got the log. What do you want to know?"},
            {"role": "user", "content": question}]
    docs_in = [DOC, short_doc, long_doc]
    limit = whole(conv, docs_in) - 1500  # more than the two longest can give down to the third
    seen: list = []
    assert chat_with(limit, strategy, seen)(conv, docs_in) == "ok"
    ((messages, docs),) = seen
    assert docs[1] == short_doc and messages[3]["content"] == question and messages[:1] == conv[:1]
    assert messages[2] == conv[2]  # assistant turns are never cut
    cut = [tokens(docs[0]), tokens(docs[2]), tokens(messages[1]["content"])]
    assert max(cut) - min(cut) <= 1 and max(cut) < tokens(DOC)  # equal texts alike, all three cut
    assert limit - 10 <= whole(messages, docs) <= limit


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_long_chat_beside_short_documents_is_cut_and_the_documents_kept(strategy: str) -> None:
    conv = [{"role": "user", "content": "Here is the log:\n" + LOG * 60},
            {"role": "assistant", "content": "Thanks."},
            {"role": "user", "content": "Summarise the failures."}]
    docs_in, seen = ["runbook: restart the sync", "owner: team blue"], []
    assert chat_with(800, strategy, seen)(conv, docs_in) == "ok"
    ((messages, docs),) = seen
    assert docs == docs_in and messages[1:] == conv[1:]
    assert tokens(messages[0]["content"]) < tokens(conv[0]["content"]) and whole(messages, docs) <= 800


def test_it_blocks_when_the_texts_cut_to_a_token_each_still_do_not_fit() -> None:
    conv = [{"role": "system", "content": "rules " * 300}, {"role": "user", "content": "hi " * 50}]
    seen: list = []
    with pytest.raises(Blocked, match="cut to a token each"):
        chat_with(200, "truncate_tail", seen)(conv, [DOC])
    assert seen == []


def test_each_text_judged_alone_is_cut_as_the_whole_call_asks() -> None:
    """The chain runs the guard on each document, then on the conversation: the cut each gets
    is the one the whole call's texts share, whatever was cut before it."""
    from guardlayer.context import Context

    guard = TokenLimit(900, model="gpt-4o", strategy="truncate_tail")
    conv = [{"role": "user", "content": DOC * 2}]
    docs = [DOC * 3, DOC]
    ctx = Context(model="gpt-4o")
    ctx.side, ctx.messages = "input", conv
    cuts = []
    for i in range(len(docs)):
        ctx.texts = tuple(docs)
        verdict = guard.check(docs[i], ctx)
        assert verdict.passed
        if verdict.fixed is not None:
            docs[i] = verdict.fixed
        cuts.append(tokens(docs[i]))
    ctx.texts = tuple(docs)
    verdict = guard.check(conv[0]["content"], ctx)
    assert verdict.passed and verdict.meta["messages"] is True
    messages = verdict.value
    cuts.append(tokens(messages[0]["content"]))
    assert max(cuts) - min(cuts) <= 1 and whole(messages, docs) <= 900
    ctx.messages = messages
    assert all(guard.check(d, ctx).fixed is None for d in docs)  # judged again: nothing more to cut


def test_anthropic_tool_results_share_the_cut_and_the_call_fits() -> None:
    """A tool result is counted inside its part (as JSON): the cut to one length is made good
    by cutting the excess the count leaves."""
    result = LOG * 30
    conv = [{"role": "user", "content": "Check the sync."},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "logs", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": result},
                                         {"type": "text", "text": "What failed?"}]}]
    docs_in, seen = [DOC * 2], []
    limit = whole(conv, docs_in) // 2
    assert chat_with(limit, "truncate_middle", seen)(conv, docs_in) == "ok"
    ((messages, docs),) = seen
    part = messages[2]["content"][0]
    assert part["tool_use_id"] == "t1" and "[...]" in part["content"] and "[...]" in docs[0]
    assert messages[2]["content"][1] == {"type": "text", "text": "What failed?"} and messages[:2] == conv[:2]
    assert abs(tokens(part["content"]) - tokens(docs[0])) <= 12 and whole(messages, docs) <= limit
