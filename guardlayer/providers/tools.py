"""Read and replace the tool calls of a model response without importing any SDK.

Shapes understood, as objects or dicts: OpenAI chat completions (every choice's
``message.tool_calls[i].function.arguments``, a JSON string, and the legacy
``message.function_call``), a bare OpenAI message, a message in a ``message`` envelope (Ollama's
and Cohere's chat answers, `providers.envelope_message`; Ollama's arguments are a dict), a list
of calls, LangChain's ``AIMessage`` (``tool_calls[i].args``, a dict; its ``invalid_tool_calls``,
calls whose arguments LangChain could not read, are read by a guard's `answer_calls` alone, as
calls with unreadable arguments, after the others), and Anthropic
messages (``content[i]`` blocks of type ``tool_use``, whose ``input`` is a dict: in a LangChain
message that lists its calls, copies of them, as its other copies are: `copies_agree`;
``server_tool_use`` blocks are tools the provider ran itself, not calls for the program, and are
skipped). A call whose arguments are missing, or could be read from two places (``arguments``
and ``args``; a ``function`` beside a name or arguments of the call's own), has unreadable
arguments, never ``{}``.

`tool_calls` reads the calls a program may run (the chain, the budget, the proxy);
`answer_calls` is a guard's strict read, `holds_calls` and `written_calls` read the JSON values a
model writes in its text, and `checked_calls` gives the calls of an answer as its guards checked
them.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..structured.extract import dumps
from ..verdict import MISSING, Action
from . import _set, envelope_message, field

if TYPE_CHECKING:
    from ..context import Context

_LISTS = ("tool_calls", "invalid_tool_calls")  # a message's lists of calls (LangChain: the second)
_ARGUMENTS = ("arguments", "args")  # where a provider's call keeps its arguments (LangChain: args)
_WRITTEN = ("arguments", "parameters", "input", "args")  # where a call written as JSON keeps them
_RAW_ARG = "__arg1"  # LangChain's one argument of a custom tool (its raw input)
MARKS = ("tool_calls", "function_call", "tool_use")
"""Words naming calls in a text (quoted or not, for a lenient reader)."""
CHECKED_CALLS = "guardlayer.checked_calls"
"""``Context.state`` key of what each tool_calls guard checked in an answer (`CallsChecked`)."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: its position among the response's calls, id, tool name, the arguments
    as JSON text and parsed (``MISSING`` when the text is not JSON), and whether it was read
    from the answer's text (a prompt-only tool protocol) rather than the provider's structure."""

    index: int
    id: str | None
    name: str | None
    arguments: str
    parsed: Any = MISSING
    in_text: bool = False

    def with_value(self, value: Any) -> ToolCall:
        """The same call with ``value`` as its arguments (the text re-dumped, never patched)."""
        return replace(self, parsed=value, arguments=json.dumps(value, ensure_ascii=False))

    def with_text(self, text: str) -> ToolCall:
        """The same call with ``text`` as its arguments' text."""
        return replace(self, arguments=text, parsed=_parsed(text))


@dataclass(frozen=True, slots=True)
class CallsChecked:
    """What a tool_calls guard checked in an answer: the calls it read in its text (none when
    the provider's structure holds calls), and its fix: the verdict's value (the calls it keeps,
    as it hands them over) and their indexes."""

    calls: list[ToolCall]
    fix: list[dict[str, Any]] | None = None
    kept: frozenset[int] = frozenset()


def tool_calls(resp: Any, *, invalid: bool = False) -> list[ToolCall]:
    """The tool calls of ``resp`` in order ([] when it has none or is not a known shape); with
    ``invalid`` also LangChain's ``invalid_tool_calls``, after the others, their arguments
    unreadable: no program should run them (a proxy, a budget, a report leave them out), but a
    program may show them or send them back to the model (the guards judge them there)."""
    if isinstance(resp, str):  # (most answers: no structure, no calls)
        return []
    valid, broken = _raw_calls(resp)
    pairs = [(raw, True) for raw in valid] + [(raw, False) for raw in broken if invalid]
    return [_read(i, raw, readable) for i, (raw, readable) in enumerate(pairs)]


def answer_calls(resp: Any) -> list[ToolCall]:
    """`tool_calls`, for a guard, with LangChain's ``invalid_tool_calls`` (to refuse them):
    raises ValueError where a program could read other calls than these:
    calls both in ``choices`` and beside them, or in a ``message`` field that is not read (the
    object has calls or text of its own, or no provider's mark: `providers.envelope_message`): a
    reader of one misses the other; a call without a name; a copy a LangChain message keeps of
    a call's arguments that reads otherwise (`copies_agree`)."""
    if not isinstance(resp, (str, bytes, list, tuple)) and resp is not None:
        envelope, inner = _envelope(resp), _holds(field(resp, "message"))
        if envelope == "choices" and (inner or _holds(resp)):
            raise ValueError("the answer holds calls both in choices and beside them")
        if envelope is None and inner and (_holds(resp) or field(resp, "content") is not None):
            raise ValueError("the answer holds calls both in message and beside them")
        if envelope is None and inner:
            raise ValueError("the answer holds calls in a message nothing marks as a provider's (an "
                             "assistant's role, Ollama's done, Cohere's finish_reason)")
    calls = _named(tool_calls(resp, invalid=True))
    copies_agree(resp, calls)
    return calls


def holds_calls(value: Any) -> bool:
    """Does the JSON value hold tool calls by name: a message (``tool_calls``,
    ``invalid_tool_calls``, ``function_call``, ``tool_use`` blocks), a chat completion
    (``choices``), a message in a ``message`` envelope? A list of calls that is a number or a
    bool (a count, a flag) names none; raises ValueError on one that is neither that nor a list
    (nor null)."""
    if not isinstance(value, dict):
        return False
    message = value.get("message")
    return "choices" in value or _names_own_calls(value) or isinstance(message, dict) and _names_own_calls(message)


def written_calls(value: Any, *, any_shape: bool) -> list[ToolCall]:
    """The calls a JSON value a model wrote is (itself, or a list's items): OpenAI call objects
    (``{"type": "function", "function": {"name", "arguments"}}``), and with ``any_shape`` any call
    object (``{"name", "arguments" | "parameters" | "input" | "args"}`` or that in its
    ``function``); [] when it is not calls. Raises ValueError on a list mixing calls and other
    values, on a call object a tool could read two ways, and on a call without a name."""
    items = value if isinstance(value, list) else [value]
    holders = [(item, _written_holder(item) if any_shape or _is_openai_call(item) else None) for item in items]
    calls = [_openai_call(item, holder) for item, holder in holders if holder is not None]
    if calls and len(calls) != len(items):
        raise ValueError("a JSON list mixes tool calls and other values")
    return _named([_read(i, call, True) for i, call in enumerate(calls)])


def checked_calls(ctx: Context) -> list[ToolCall]:
    """The tool calls of an answer as its guards checked them: the provider's (in
    ``ctx.response``) but those a tool_calls guard's fix dropped, else those the last tool_calls
    guard that read calls in its text read there, as it read them (a later guard's rewrite of
    the text, a pii guard restoring originals included, is not read again: no guard checked
    it), but those its fix dropped."""
    checked: list[CallsChecked] = ctx.state.get(CHECKED_CALLS, [])
    calls = tool_calls(ctx.response)
    if calls:
        return still_kept(calls, ctx)
    seen = next((seen for seen in reversed(checked) if seen.calls), None)
    return [] if seen is None else still_kept(seen.calls, ctx)


def still_kept(calls: list[ToolCall], ctx: Context) -> list[ToolCall]:
    """``calls`` (the provider's, or those guards read in the text) but those the applied fix of
    a tool_calls guard that checked them dropped."""
    fixed = _applied_fixes(ctx)
    for seen in ctx.state.get(CHECKED_CALLS, []):
        if seen.fix is not None and id(seen.fix) in fixed:
            calls = [call for call in calls if call.index in seen.kept]
    return calls


def _applied_fixes(ctx: Context) -> set[int]:
    """The ids of the values of the fixes the chain applied to this answer (a guard's `CallsChecked.fix`
    is the very object its verdict carries: the chain records verdicts, never copies of them)."""
    return {id(check.verdict.value) for check in ctx.report.checks if check.action is Action.FIX}


def written(text: str | None, calls: Iterable[ToolCall]) -> str | None:
    """What the model wrote: ``text`` and each call's name and arguments, a line each (for
    counting its tokens when the provider reports no usage)."""
    lines = [f"{call.name or ''} {call.arguments}" for call in calls]
    return "\n".join([text or "", *lines]) if lines else text


def with_tool_arguments(resp: Any, calls: Iterable[ToolCall]) -> Any:
    """A deep copy of ``resp`` in which the given calls (matched by ``index``, with or without
    the invalid ones: they come last) carry their new
    arguments: as JSON text where the response held text (OpenAI, a LangChain invalid call), as
    the parsed dict where it held a dict (Anthropic's ``input``, LangChain's ``args``). The
    original is left untouched. Raises ValueError when a dict is due and the new arguments are
    not a JSON object. A LangChain invalid call's ``error`` (and an ``invalid_tool_call`` content
    block's) quotes its arguments: they are rewritten there too (`_quoted_anew`), and so are the
    other copies a LangChain message keeps of a call's arguments (`copies_agree`; ValueError when
    one cannot be matched to its call; Gemini's merged copy, `_merged_copy`, as their join)."""
    new = copy.deepcopy(resp)
    valid, invalid = _raw_calls(new)
    raws = valid + invalid
    calls = list(calls)
    copies = _copies_by_call(new, raws) if calls else {}
    merged = [message for message in _messages(new) if calls and _merged_copy(message)]
    for call in calls:
        raw = raws[call.index]
        holder, key = _arguments_slot(raw)
        old = field(holder, key)
        _put(holder, key, call, dict_due=key == "input" or isinstance(old, dict))
        if call.index >= len(valid):
            _requote(raw, old, call.arguments)
        for found in copies.get(call.index, ()):
            held = field(found.holder, found.key)
            if found.raw:
                _set(found.holder, found.key, _raw_input(call))
            else:
                _put(found.holder, found.key, call, dict_due=isinstance(held, dict))
            if field(found.holder, "type") == "invalid_tool_call":  # (a content block, quoting them too)
                _requote(found.holder, held, call.arguments)
    for message in merged:
        pieces = "".join(field(chunk, "args") for chunk in _message_calls(message, "tool_call_chunks"))
        _set(field(field(message, "additional_kwargs"), "function_call"), "arguments", pieces)
    return new


def copies_agree(resp: Any, calls: list[ToolCall] | None = None) -> None:
    """Raises ValueError when a copy ``resp`` keeps of a call's arguments (a LangChain message's:
    `_copy_slots`) cannot be matched to one call (it has no id, or one no call or two calls
    have), or names another tool or reads otherwise than it (``calls``: ``resp``'s, with the
    invalid ones): a program reading the copy would run what no guard checked."""
    calls = tool_calls(resp, invalid=True) if calls is None else calls
    valid, invalid = _raw_calls(resp)
    for index, found in _copies_by_call(resp, valid + invalid).items():
        call = calls[index]
        for copied in found:
            name = field(copied.holder, "name")
            if name is not None and name != call.name or not _same(copied, call):
                raise ValueError(f"the answer keeps a copy of tool call {call.id!r} that differs from the "
                                 "call: a program may read either")


def _put(holder: Any, key: str, call: ToolCall, *, dict_due: bool) -> None:
    """Sets ``holder[key]`` to the new arguments of ``call``: parsed where ``dict_due``, else its
    JSON text. Raises ValueError when a dict is due and they are not a JSON object."""
    if not dict_due:
        _set(holder, key, call.arguments)
    elif isinstance(call.parsed, dict):
        _set(holder, key, call.parsed)
    else:
        raise ValueError(f"tool call {call.name!r}: its arguments must stay a JSON object")


def _raw_input(call: ToolCall) -> str:
    """A custom tool's input: the call's one argument, ``__arg1`` (as LangChain reads it);
    ValueError when the arguments are not that."""
    value = call.parsed
    if isinstance(value, dict) and list(value) == [_RAW_ARG] and isinstance(value[_RAW_ARG], str):
        return value[_RAW_ARG]
    raise ValueError(f"tool call {call.name!r}: a custom tool's input must stay one string ({_RAW_ARG})")


@dataclass(frozen=True, slots=True)
class _Copy:
    """A copy a LangChain message keeps of a call's arguments, at ``holder[key]`` (``holder``
    names the tool too): the call's ``id``, whether it is a custom tool's raw input (the
    call's ``__arg1``) rather than JSON (text, or a dict), and the ``slot`` it is in."""

    id: Any
    holder: Any
    key: str
    raw: bool = False
    slot: str = "content"  # where the message keeps it: its copies of all its calls, in order


def _copies_by_call(resp: Any, raws: list[Any]) -> dict[int, list[_Copy]]:
    """The copies ``resp``'s messages keep (`_copy_slots`), by the position in ``raws`` (its
    calls, `_raw_calls`) of the call each copies, indexed once: by id, or where a slot's copies
    have none (a streamed call merged by LangChain, from a server sending no ids), by position,
    when the slot holds one copy of each of the message's calls, in order (`_by_position`).
    Raises ValueError on a copy matched to no call or to two: which copy is whose is not known."""
    positions: dict[Any, list[int]] = {}
    for i, raw in enumerate(raws):
        positions.setdefault(field(raw, "id"), []).append(i)
    at_of = {id(raw): i for i, raw in enumerate(raws)}
    by_call: dict[int, list[_Copy]] = {}
    for message in _messages(resp):
        found = _copy_slots(message)
        placed = _by_position(found, [at_of.get(id(raw), -1) for key in _LISTS
                                      for raw in _message_calls(message, key)])
        for copied in found:
            at = positions.get(copied.id, []) if _has_id(copied) else placed.get(id(copied), [])
            if len(at) != 1:
                problem = "has no id" if not at and not copied.id else "names no call" if not at else "names two calls"
                raise ValueError(f"the answer keeps a copy of a tool call's arguments that {problem} "
                                 f"({copied.id!r}): which call it copies is not known")
            by_call.setdefault(at[0], []).append(copied)
    return by_call


def _by_position(found: list[_Copy], own: list[int]) -> dict[int, list[int]]:
    """The positions (in ``raws``) of the calls the copies in ``found`` with no id copy, by the
    copy's ``id()``: the k-th copy of a slot holding no id and one copy per call of the message
    (``own``: its calls' positions, in order) copies its k-th call."""
    placed: dict[int, list[int]] = {}
    for slot in {copied.slot for copied in found if not _has_id(copied)}:
        group = [copied for copied in found if copied.slot == slot]
        if len(group) == len(own) and -1 not in own and not any(_has_id(copied) for copied in group):
            placed.update((id(copied), [at]) for copied, at in zip(group, own))
    return placed


def _has_id(copied: _Copy) -> bool:
    """Does ``copied`` name its call by id (a non-empty string)?"""
    return isinstance(copied.id, str) and bool(copied.id)


def _copy_slots(message: Any) -> list[_Copy]:
    """The other copies a LangChain message keeps of its calls' arguments (a program may read
    any of them): the provider's call in ``additional_kwargs["tool_calls"]``
    (``function.arguments``; where the message lists no calls, those are its calls), an
    ``AIMessageChunk``'s ``tool_call_chunks`` (``args``), ``content`` blocks of type
    ``tool_call``, ``invalid_tool_call`` or ``tool_call_chunk`` (``args``), ``function_call``
    and ``custom_tool_call`` (Responses items: ``arguments``, and
    the raw ``input``; the id in ``call_id``); where the message lists its calls, Anthropic's
    ``tool_use`` blocks (``input``, and the ``partial_json`` a streamed one holds, its ``input``
    then ``{}``) and Gemini's copy of its last call in ``additional_kwargs["function_call"]``
    (unless it is the merge of a stream's calls, `_merged_copy`, kept as their join)."""
    if message is None or isinstance(message, (str, bytes, list, tuple)):
        return []
    extra, lists = field(message, "additional_kwargs"), _lists_calls(message)
    found = [_Copy(field(raw, "id"), field(raw, "function"), "arguments", slot="additional_kwargs")
             for raw in (_message_calls(extra, "tool_calls") if lists else ())]
    found += [_Copy(field(chunk, "id"), chunk, "args", slot="tool_call_chunks")
              for chunk in _message_calls(message, "tool_call_chunks")]
    listed = _message_calls(message, "tool_calls")
    legacy = field(extra, "function_call")
    if listed and legacy is not None and not _merged_copy(message):
        found.append(_Copy(field(listed[-1], "id"), legacy, "arguments", slot="function_call"))
    content = field(message, "content")
    for block in content if isinstance(content, (list, tuple)) else ():
        kind = field(block, "type")
        if kind in ("tool_call", "invalid_tool_call", "tool_call_chunk"):
            found.append(_Copy(field(block, "id"), block, "args"))
        elif kind in ("function_call", "custom_tool_call"):
            raw = kind == "custom_tool_call"
            found.append(_Copy(field(block, "call_id"), block, "input" if raw else "arguments", raw=raw))
        elif kind == "tool_use" and lists:
            partial = field(block, "partial_json")
            streamed = isinstance(partial, str) and partial.strip()
            found += [_Copy(field(block, "id"), block, "partial_json")] if streamed else []
            found += [] if streamed and field(block, "input") == {} else [_Copy(field(block, "id"), block, "input")]
    return found


def _merged_copy(message: Any) -> bool:
    """Is Gemini's copy of a call in ``message``'s ``additional_kwargs["function_call"]`` the
    merge LangChain makes of a stream's chunks (each holding one call): the names of the
    message's calls, joined, and the arguments of its ``tool_call_chunks`` (one per call, each a
    copy checked against its call), joined, not readable as JSON? It then holds nothing but the
    checked calls and reads as no call; a rewrite of their arguments rewrites it as their join
    (`with_tool_arguments`)."""
    legacy = field(field(message, "additional_kwargs"), "function_call")
    listed = _message_calls(message, "tool_calls")
    chunks = _message_calls(message, "tool_call_chunks")
    pieces = [field(chunk, "args") for chunk in chunks]
    text = field(legacy, "arguments")
    if (len(listed) < 2 or len(chunks) != len(listed) or not all(isinstance(p, str) for p in pieces)
            or field(legacy, "name") != "".join(str(field(call, "name")) for call in listed)
            or text != "".join(pieces)):
        return False
    try:
        json.loads(text, strict=False)
    except ValueError:
        return True
    except RecursionError:  # (nested too deeply for Python's reader: another may read it)
        return False
    return False


def _lists_calls(message: Any) -> bool:
    """Does ``message`` list calls in ``tool_calls`` or ``invalid_tool_calls`` (a LangChain
    message, whose ``tool_use`` blocks are then copies of them)?"""
    return any(_message_calls(message, key) for key in _LISTS)


def _same(copied: _Copy, call: ToolCall) -> bool:
    """Do the arguments in ``copied`` read as ``call``'s (no arguments: ``{}``), as LangChain reads
    them (control characters in strings allowed), typed as written (``true`` is not ``1``)?"""
    held = field(copied.holder, copied.key)
    if copied.raw:
        return isinstance(held, str) and call.parsed == {_RAW_ARG: held} and isinstance(call.parsed[_RAW_ARG], str)
    if isinstance(held, str) and held == call.arguments:
        return True
    if call.parsed is MISSING:
        return False
    if isinstance(held, str):
        value = _parsed(held, strict=False) if held.strip() else {}
    else:
        value = held if isinstance(held, dict) else MISSING
    return value is not MISSING and (text := _typed(value)) is not None and text == _typed(call.parsed)


def _typed(value: Any) -> str | None:
    """``value`` as JSON text, its keys sorted (None when it cannot be written): values equal in
    Python but not as JSON (``true`` and ``1``, ``1`` and ``1.0``) differ."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None


def _requote(holder: Any, old: Any, new: str) -> None:
    """Rewrites the ``error`` of ``holder`` (a LangChain invalid call), if it has one, as
    quoting the ``new`` arguments (`_quoted_anew`)."""
    if isinstance(error := field(holder, "error"), str):
        _set(holder, "error", _quoted_anew(error, old, new))


def _quoted_anew(error: str, old: Any, new: str) -> str | None:
    """A LangChain invalid call's ``error`` (``Function f arguments:\n\n<the arguments>\n\nare not
    valid JSON...``) with the ``old`` arguments it quotes now ``new``; None (cleared) when it does
    not quote them as they were written: what of it a guard would rewrite is unknown."""
    return error.replace(old, new) if isinstance(old, str) and old and old in error else None


def _raw_calls(resp: Any) -> tuple[list[Any], list[Any]]:
    """The call objects themselves (inside ``resp``), in the order `tool_calls` numbers them,
    and apart, LangChain's invalid calls (its parser could not read their arguments)."""
    if isinstance(resp, (str, bytes)) or resp is None:
        return [], []
    if isinstance(resp, (list, tuple)):
        return list(resp), []
    valid, invalid = [], []
    for message in _messages(resp):
        listed = _lists_calls(message)  # (a LangChain message: its tool_use blocks are copies)
        if not listed:  # (one that lists none has its provider's calls in additional_kwargs alone,
            # and langchain-openai sends those to the model)
            valid += _tool_use(message) + _message_calls(field(message, "additional_kwargs"), "tool_calls")
        valid += _message_calls(message, "tool_calls")
        legacy = field(message, "function_call")
        if legacy is None and not listed:  # (LangChain keeps OpenAI's legacy call there; Gemini,
            legacy = field(field(message, "additional_kwargs"), "function_call")  # a copy of its last)
        valid += [legacy] if legacy is not None else []
        invalid += _message_calls(message, "invalid_tool_calls")
    return valid, invalid


def _messages(resp: Any) -> list[Any]:
    """The messages of ``resp`` that hold its calls (a list of calls holds none)."""
    if isinstance(resp, (str, bytes, list, tuple)) or resp is None:
        return []
    envelope = _envelope(resp)
    if envelope == "choices":
        return [field(choice, "message") for choice in field(resp, "choices")]
    return [field(resp, "message") if envelope == "message" else resp]


def _named(calls: list[ToolCall]) -> list[ToolCall]:
    for call in calls:
        if call.name is None:
            raise ValueError(f"tool call {call.index} has no function name")
    return calls


def _envelope(resp: Any) -> str | None:
    """Which field of ``resp`` holds its message: ``choices``, ``message`` (when ``resp`` has no
    text or calls of its own), or None (its own)."""
    if isinstance(field(resp, "choices"), (list, tuple)):
        return "choices"
    own = field(resp, "invalid_tool_calls")
    return "message" if envelope_message(resp) is not None and not own else None


def _holds(message: Any) -> bool:
    """Does ``message`` (an object or a dict; anything else holds none) name calls of its own?"""
    if message is None or isinstance(message, (str, bytes, list, tuple)):
        return False
    return bool(_tool_use(message)) or any(field(message, key) is not None for key in (*_LISTS, "function_call"))


def _tool_use(message: Any) -> list[Any]:
    """A message's Anthropic ``tool_use`` content blocks (an OpenAI message's are text parts)."""
    content = field(message, "content")
    return [b for b in content if field(b, "type") == "tool_use"] if isinstance(content, (list, tuple)) else []


def _message_calls(message: Any, key: str) -> list[Any]:
    """The calls a message lists under ``key`` (not a string's characters)."""
    listed = None if message is None else field(message, key)
    return list(listed) if isinstance(listed, (list, tuple)) else []


def _names_own_calls(message: dict[str, Any]) -> bool:
    """Does the JSON object ``message`` name calls of its own (see `holds_calls`)?"""
    named = False
    for key in _LISTS:
        listed = message.get(key)
        if listed is not None and not isinstance(listed, (bool, int, float, list)):
            raise ValueError(f"the answer's {key} is not a list")
        named = named or key in message and not isinstance(listed, (bool, int, float))
    return named or "function_call" in message or bool(_tool_use(message))


def _arguments_slot(raw: Any) -> tuple[Any, str]:
    """Where a call keeps its name and arguments: a ``tool_use`` block's ``input``, else the
    ``arguments`` (LangChain: ``args``) of its ``function`` (or of the call itself: legacy,
    flat and LangChain calls)."""
    if field(raw, "type") == "tool_use":
        return raw, "input"
    fn = field(raw, "function")
    holder = raw if fn is None else fn
    return holder, next((key for key in _ARGUMENTS if field(holder, key) is not None), _ARGUMENTS[0])


def _two_ways(raw: Any, holder: Any, keys: tuple[str, ...], given: Callable[[Any, str], bool]) -> bool:
    """Could a tool read the call ``raw`` otherwise: arguments under two of ``keys``, or a
    ``function`` (``holder``) beside a name or arguments of the call's own?"""
    return (sum(given(holder, key) for key in keys) > 1
            or holder is not raw and any(given(raw, key) for key in ("name", *keys)))


def _not_none(obj: Any, key: str) -> bool:
    return field(obj, key) is not None


def _read(index: int, raw: Any, readable: bool) -> ToolCall:
    holder, key = _arguments_slot(raw)
    name, args = field(holder, "name"), field(holder, key)
    name = name if isinstance(name, str) else None
    if args is None or key != "input" and _two_ways(raw, holder, _ARGUMENTS, _not_none):
        return ToolCall(index, field(raw, "id"), name, "", MISSING)
    if isinstance(args, str):
        text, parsed = args, _parsed(args)
    else:  # (Anthropic's ``input``: already parsed, and judged as its JSON would be: NaN is not)
        try:
            text = json.dumps(args, ensure_ascii=False, default=str)
            parsed = args if _parsed(text) is not MISSING else MISSING
        except (ValueError, RecursionError):  # a cycle, or nesting too deep to write
            text, parsed = "", MISSING
    return ToolCall(index, field(raw, "id"), name, text, parsed if readable else MISSING)


def _is_openai_call(item: Any) -> bool:
    fn = item.get("function") if isinstance(item, dict) and item.get("type") == "function" else None
    return isinstance(fn, dict) and "name" in fn and "arguments" in fn


def _written_holder(item: Any) -> dict[str, Any] | None:
    """What holds the name and arguments of the call object ``item``, written as JSON: itself
    or its ``function``; None when it is not a call. Raises ValueError when a tool could read it
    two ways."""
    if not isinstance(item, dict):
        return None
    fn = item.get("function")
    nested = isinstance(fn, dict) and "name" in fn and any(key in fn for key in _WRITTEN)
    if not (nested or "name" in item and any(key in item for key in _WRITTEN)):
        return None
    holder = fn if nested else item
    if _two_ways(item, holder, _WRITTEN, dict.__contains__) or not nested and "function" in item:
        raise ValueError(f"a tool call could be read two ways: {sorted(item)}")
    return holder


def _openai_call(item: dict[str, Any], fn: dict[str, Any]) -> dict[str, Any]:
    """The call object ``item`` (its name and arguments in ``fn``) as an OpenAI call (its
    arguments as JSON text)."""
    args = next(fn[key] for key in _WRITTEN if key in fn)
    text = args if args is None or isinstance(args, str) else dumps(args)
    return {"id": item.get("id"), "type": "function", "function": {"name": fn["name"], "arguments": text}}


def _parsed(text: str, *, strict: bool = True) -> Any:
    """The arguments' JSON value; MISSING (unreadable arguments) when a tool might read them
    otherwise than the guards: NaN, Infinity or 1e999 (not finite numbers; every comparison with
    NaN is false, so a schema's ``maximum`` let it through), a key given twice (the guards saw one value, a tool's
    parser may keep the other), nesting too deep to read."""
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite, object_pairs_hook=_unique_keys,
                          strict=strict)
    except (ValueError, RecursionError):
        return MISSING


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"{number} is too large for a number")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key is given twice")
    return found
