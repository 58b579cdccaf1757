"""Budgets and rate limits on tokens, cost and requests, kept in a `Store` (memory, SQLite
file, Redis) so that they hold across threads, processes and machines.

The chain calls ``ticket = budget.reserve(ctx)`` before the model (an estimate is reserved
atomically against every limit, or `BudgetExceeded` is raised) and ``budget.settle(ticket, ctx)``
after it (the actual usage of every attempt, retries, re-asks and fallbacks included, replaces
the estimate). Because reservations are atomic, concurrent calls cannot together pass a limit
on their estimates; a call whose actual use exceeds its estimate is still charged in full. The
estimate is the prompt and the output the call allows (its ``max_tokens``, or
``reserve_output_tokens`` when that is larger or the call sets none), for one attempt: calls in
flight can overspend a limit by what they use beyond it (a longer answer than
``reserve_output_tokens`` without a maximum; retries, re-asks, fallbacks). Each further request
(a retry, a re-ask, a fallback model: `Budget.extend`) is reserved, and its attempt charged, at
the price of the model it is sent to and in the windows of the time it is sent, as a provider's
rate limit counts it.

Windows: calendar ``day`` / ``week`` / ``month`` (UTC) or a duration (``30s``, ``5m``, ``1h``,
``7d``; ``minute`` / ``hour`` too), counted as a ``fixed`` window, a ``sliding`` window (summed
over ``buckets`` sub-buckets) or a ``token_bucket`` (capacity = limit, refilled over the
window); ``total`` never resets. Cost is kept in micro-dollars, so counts are exact integers.
"""
from __future__ import annotations

import difflib
import inspect
import logging
import math
import reprlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from . import yaml_lines
from .call import default, takes
from .context import Context
from .errors import BudgetExceeded, ConfigError
from .report import Attempt, Usage
from .stores import Bucket, Store, Window, open_store
from .tokens import count, count_messages, model_info
from .tokens.media import one_call
from .tokens.models import ModelInfo

_log = logging.getLogger("guardlayer")

Metric = Literal["tokens", "input_tokens", "output_tokens", "cost", "requests"]
METRICS: tuple[str, ...] = ("tokens", "input_tokens", "output_tokens", "cost", "requests")
_MICRO = 1_000_000
_CALENDAR = ("day", "week", "month")
_NAMED = {"minute": 60, "hour": 3600}
_DURATION = regex.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LONGEST = 36_500 * 86400  # a window of 100 years; longer is what ``total`` is for
SCOPE_KEYS = ("user", "session", "api_key", "global")
"""What ``per`` may name besides the tags a budget declares."""
OUTPUT_CAPS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
"""A call's arguments that cap its output (OpenAI chat, Anthropic, OpenAI Responses)."""


class Limit(BaseModel):
    """One limit: ``Limit(metric="tokens", limit=100_000, per="user", window="day")``, or in a
    rule file the short form ``{per: user, tokens: 100000, window: day}``. ``per`` is a scope
    key (user, session, api_key, or a tag the budget declares in ``tags``) or ``global``; cost
    limits are in USD."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Metric
    limit: float = Field(gt=0, allow_inf_nan=False)
    per: str = "user"
    window: str = "day"
    algorithm: Literal["fixed", "sliding", "token_bucket"] = "fixed"
    buckets: int = Field(default=60, ge=2, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "metric" not in data:
            named = [m for m in METRICS if m in data]
            if len(named) != 1:
                raise ValueError(f"give exactly one of {', '.join(METRICS)} (or metric + limit)")
            data = {**{k: v for k, v in data.items() if k != named[0]},
                    "metric": named[0], "limit": data[named[0]]}
        if isinstance(data, Mapping) and any(isinstance(data.get(k), bool) for k in ("limit", "buckets")):
            raise ValueError("a limit is a number, not true or false")
        return data

    @model_validator(mode="after")
    def _check_whole(self) -> Limit:
        if self.metric != "cost" and not float(self.limit).is_integer():
            raise ValueError(f"{self.metric} must be a whole number, not {self.limit:g}: "
                             "only a cost limit (USD) takes a fraction")
        return self

    @model_validator(mode="after")
    def _check_window(self) -> Limit:
        if self.window not in ("total", "month") and window_seconds(self.window) is None:
            raise ValueError(f"unknown window {self.window!r}: use minute, hour, day, week, month, "
                             "total or a duration such as 30s, 5m, 1h, 7d")
        if (window_seconds(self.window) or 0) > _LONGEST:
            raise ValueError(f"window {self.window!r} is longer than 36500d (100 years): use total "
                             "for a limit that never resets")
        if self.window in ("total", "month") and self.algorithm != "fixed":
            raise ValueError(f"a {self.window} window only works with algorithm fixed "
                             "(use a duration such as 30d for a rolling month)")
        return self

    @property
    def scaled(self) -> int:
        """The limit in stored units (micro-dollars for cost)."""
        return round(self.limit * _MICRO) if self.metric == "cost" else int(self.limit)

    def describe(self) -> str:
        return f"{self.metric} per {self.window}" + ("" if self.algorithm == "fixed"
                                                     else f" ({self.algorithm})")


def _unkeyed(limit: Limit) -> str:
    return f"{limit.describe()} per {limit.per}: no {limit.per} in scope"


def window_seconds(window: str) -> int | None:
    """Length of a window in seconds (None for ``month`` and ``total``)."""
    if window in _NAMED:
        return _NAMED[window]
    if window == "day":
        return 86400
    if window == "week":
        return 7 * 86400
    m = _DURATION.fullmatch(window)
    return int(m.group(1)) * _UNITS[m.group(2)] if m and int(m.group(1)) > 0 else None


def _fixed_window(window: str, now: float) -> tuple[str, float | None]:
    """(window id, end time) of the fixed window holding ``now``; UTC calendar for day/week/month."""
    if window == "total":
        return "total", None
    if window in _CALENDAR:
        found = _calendar_now.get(window)
        if found is None or not found[0] <= now < found[1]:
            wid, start, end = _calendar_window(window, now)
            # (reused until a microsecond before its end: `datetime.fromtimestamp` rounds a time
            # later than that into the next window, so it is found afresh)
            found = _calendar_now[window] = (start, end - 1e-6, wid, end)
        return found[2], found[3]
    seconds = window_seconds(window) or 1
    index = math.floor(now / seconds)
    return f"f{index}", (index + 1) * seconds


_calendar_now: dict[str, tuple[float, float, str, float]] = {}
"""The calendar window last found per name (day, week, month): its start, the time it is reused
until, its id and its end (most calls' windows are then found without building dates)."""


def _calendar_window(window: str, now: float) -> tuple[str, float, float]:
    """(id, start, end) of the UTC calendar day, week or month holding ``now``."""
    t = datetime.fromtimestamp(now, UTC)
    if window == "day":
        start = t.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("d%Y%m%d"), start.timestamp(), (start + timedelta(days=1)).timestamp()
    if window == "week":
        start = (t - timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("w%Y%m%d"), start.timestamp(), (start + timedelta(days=7)).timestamp()
    start = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start.strftime("m%Y%m"), start.timestamp(), end.timestamp()


@dataclass
class _Held:
    """One limit applied to one call: its store item, who it is for, and when it expires."""

    limit: Limit
    who: str
    item: Window | Bucket
    expires: float | None


@dataclass
class _Request:
    """One request of a call as reserved: the model it is sent to, the output reserved for it
    (charged when it fails unreported), the amounts, and the limits' items in the windows of
    the time it was sent."""

    model: str | None
    output: int
    amounts: dict[str, int]
    held: list[_Held]


class _Charge(NamedTuple):
    """One attempt's use: its usage, cost (micro-dollars), whether counted exactly, and its
    model when that had no price."""

    usage: Usage
    cost: int
    exact: bool
    unpriced: str | None


@dataclass
class Ticket:
    """A reservation: the call's requests as reserved (the first, then one per `Budget.extend`)."""

    op_id: str
    requests: list[_Request]
    skipped: list[str] = field(default_factory=list)
    settled: bool = False
    extended: int = 0  # `Budget.extend` calls, refused ones included (each takes an op id of its own)

    @property
    def model(self) -> str | None:
        """The call's model (its first request's)."""
        return self.requests[0].model

    @property
    def held(self) -> list[_Held]:
        """The limits the call is held to (as the first request's items)."""
        return self.requests[0].held


class Budget:
    """Limits over a store. ``reserve_output_tokens`` is the output a call is assumed to use
    until it is settled (more when the call's ``max_tokens`` asks for more); ``on_exceeded``
    tells the chain to raise or serve its fallback. ``per`` names user, session, api_key,
    global or one of ``tags`` (scope tags). A call whose scope lacks a limit's key is refused
    (`ConfigError`) unless ``missing_scope="skip"``, which lets it pass that limit unchecked."""

    def __init__(self, limits: Sequence[Limit | Mapping[str, Any]], store: Store | str = "memory://",
                 *, model: str | None = None, reserve_output_tokens: int = 512,
                 namespace: str = "gl", on_exceeded: Literal["raise", "fallback"] = "raise",
                 tags: Sequence[str] = (), missing_scope: Literal["raise", "skip"] = "raise",
                 clock: Callable[[], float] = time.time) -> None:
        given = {"limits": list(limits), "model": model, "reserve_output_tokens": reserve_output_tokens,
                 "namespace": namespace, "on_exceeded": on_exceeded, "tags": list(tags),
                 "missing_scope": missing_scope}
        try:
            settings = _Settings.model_validate(given)
        except ValidationError as exc:
            raise _config_error(exc, given) from exc
        self.limits, self.missing_scope = settings.limits, settings.missing_scope
        _check_per(self.limits, settings.tags)
        try:
            self.store = open_store(store) if isinstance(store, str) else store
        except ConfigError as exc:
            raise ConfigError(exc.message, where="budget", field="store") from exc
        self.model, self.reserve_output_tokens = model, reserve_output_tokens
        self.namespace, self.on_exceeded, self.clock = namespace, on_exceeded, clock
        self._warned: set[str] = set()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Budget:
        """From a rule file's ``budget:`` section::

            budget:
              store: sqlite:///budget.db          # memory:// | sqlite:///path | redis://host:port/db
              reserve_output_tokens: 512
              on_exceeded: raise                  # or fallback
              tags: [team]                        # scope tags a limit may be kept per
              missing_scope: raise                # or skip: a call without the limit's key passes it
              prices: {my-model: {input: 1.0, output: 2.0}}   # USD per million tokens
              limits:
                - {per: user, tokens: 100000, window: day}
                - {per: api_key, requests: 60, window: minute, algorithm: token_bucket}
        """
        try:
            spec = _BudgetConfig.model_validate(dict(cfg))
        except ValidationError as exc:
            raise _config_error(exc, cfg) from exc
        from .tokens import register_model

        for name, price in spec.prices.items():
            register_model(name, input_price=price.input, output_price=price.output,
                           **({} if model_info(name) else {"context_window": price.context_window}))
        return cls(spec.limits, spec.store, model=spec.model,
                   reserve_output_tokens=spec.reserve_output_tokens, namespace=spec.namespace,
                   on_exceeded=spec.on_exceeded, tags=spec.tags, missing_scope=spec.missing_scope)

    # -- the chain's interface -------------------------------------------------------------

    def reserve(self, ctx: Context, prompt: str | Sequence[Mapping[str, Any]] | None = None, *,
                arguments: Mapping[str, Any] | None = None) -> Ticket:
        """Reserve this call's estimated use against every limit that applies, atomically.
        ``prompt`` defaults to ``ctx.messages`` or ``ctx.prompt`` when the chain sets them; the
        output reserved is ``reserve_output_tokens`` or the cap in the call's ``arguments``
        (`OUTPUT_CAPS`), whichever is larger."""
        model = ctx.model or ctx.scope.model or self.model
        if prompt is None:
            prompt = getattr(ctx, "messages", None) or getattr(ctx, "prompt", None)
        keys = ctx.scope.keys()
        refused = self.refused_for(keys)
        if refused:
            raise ConfigError(f"{_unkeyed(refused[0])}: run the call inside guardlayer.scope(...) with "
                              "that value, or give the budget missing_scope='skip' to let such calls "
                              "pass the limit unchecked", where="budget")
        with one_call(ctx.state):  # (media read once for the call's guards, reserve and settle)
            output, amounts = self._estimate(model, prompt, arguments)
        held, skipped = self._hold(keys, amounts, self.clock())
        for reason in set(skipped) - self._warned:  # once per limit: a per-user limit without a user
            self._warned.add(reason)                # in scope is easy to miss and enforces nothing
            _log.warning("budget: %s, so that limit is not enforced (set it with guardlayer.scope)",
                         reason)
        ticket = Ticket(uuid.uuid4().hex, [_Request(model, output, amounts, held)], skipped)
        self._take(held, ctx, ticket.op_id)
        return ticket

    def refused_for(self, keys: Mapping[str, str]) -> list[Limit]:
        """The limits a call whose scope has these ``keys`` (`Scope.keys`) is refused for: kept
        per an identity it lacks, unless the budget skips such limits (``missing_scope``)."""
        if self.missing_scope != "raise":
            return []
        return [lim for lim in self.limits if lim.per != "global" and keys.get(lim.per) is None]

    def extend(self, ticket: Ticket, ctx: Context, prompt: str | Sequence[Mapping[str, Any]], *,
               arguments: Mapping[str, Any] | None = None, model: str | None = None) -> None:
        """Reserve one more request of the same call (a retry, a re-ask with its longer
        conversation, a fallback model) on the ticket's limits, in the windows of now (when it is
        sent), atomically: `BudgetExceeded` when it would pass one. ``model`` is the model it
        is sent to (`sent_model`; default the ticket's), priced as the ticket's when it has no price."""
        model = model or ticket.model
        with one_call(ctx.state):
            output, amounts = self._estimate(model, prompt, arguments, priced_as=ticket.model)
        ticket.extended += 1
        now = self.clock()
        held = [self._held(h.limit, h.who, amounts[h.limit.metric], now) for h in ticket.held]
        self._take(held, ctx, f"{ticket.op_id}:{ticket.extended}")
        ticket.requests.append(_Request(model, output, amounts, held))

    def _estimate(self, model: str | None, prompt: str | Sequence[Mapping[str, Any]] | None,
                  arguments: Mapping[str, Any] | None, *,
                  priced_as: str | None = None) -> tuple[int, dict[str, int]]:
        """The output reserved for one request, and the amounts it needs per metric."""
        output = max(self.reserve_output_tokens, output_cap(arguments or {}))
        usage = Usage(_tokens(prompt, model)[0], output)
        return output, self._amounts(usage, 1, self._cost(model, usage, priced_as))

    def _take(self, held: list[_Held], ctx: Context, op_id: str) -> None:
        """Reserve ``held``'s items or raise `BudgetExceeded` naming the limit."""
        items = [h.item for h in held]
        if not items:
            return
        outcome = self.store.reserve(items, self.clock(), op_id)
        if not outcome.granted:
            h = held[outcome.denied or 0]
            used = outcome.used[outcome.denied or 0]
            need = items[outcome.denied or 0].amount
            raise BudgetExceeded(
                f"{h.who}: {h.limit.describe()} would be exceeded: {_show(h.limit, used)} used "
                f"of {_show(h.limit, h.limit.scaled)}, this call needs "
                f"~{_show(h.limit, need)}", key=h.who, limit=h.limit.limit,
                spent=_unit(h.limit, used), report=ctx.report)

    def settle(self, ticket: Ticket, ctx: Context) -> dict[str, Any]:
        """Replace the reservation with the call's actual use; put spend and what is left in
        ``ctx.report.extra["budget"]`` (and return it). Settling twice changes nothing.

        Each attempt is charged in the windows its request was reserved in (the n-th attempt,
        the n-th request; any beyond, the last): a retry sent in the next minute counts in that
        minute, as a provider's rate limit counts it."""
        if ticket.settled:
            return ctx.report.extra.get("budget", {})
        attempts, last = ctx.report.attempts, len(ticket.requests) - 1
        with one_call(ctx.state):
            charges = [self._charge(a, ticket.requests[min(i, last)], ticket.model) for i, a in enumerate(attempts)]
        now = self.clock()
        groups = [charges[r:r + 1] for r in range(last)] + [charges[last:]]  # each request's attempts
        deltas = self._deltas(ticket.requests, groups, now)
        used = self.store.adjust(list(deltas.values()), now, ticket.op_id + ":settle").used if deltas else ()
        at = dict(zip(deltas, used))
        ticket.settled = True
        usage, cost = sum((c.usage for c in charges), Usage()), sum(c.cost for c in charges)
        unpriced = [c.unpriced for c in charges if c.unpriced is not None]
        summary = {
            "call": {**usage.to_dict(), "cost": cost / _MICRO, "requests": len(attempts),
                     "exact": all(c.exact for c in charges), **({"unpriced": unpriced} if unpriced else {}),
                     **({"priced_as": ticket.model} if unpriced and self._costed else {})},
            "limits": [_status(h, at[_target(h.item)]) for h in ticket.requests[-1].held],
            **({"skipped": ticket.skipped} if ticket.skipped else {}),
        }
        ctx.report.extra["budget"] = summary
        return summary

    def remaining(self, ctx: Context) -> list[dict[str, Any]]:
        """Spend and what is left on every limit that applies to ``ctx``'s scope, now."""
        now = self.clock()
        held, _ = self._hold(ctx.scope.keys(), dict.fromkeys(METRICS, 0), now)
        used = self.store.usage([h.item for h in held], now) if held else ()
        return [_status(h, u) for h, u in zip(held, used)]

    # -- internals -------------------------------------------------------------------------

    def _hold(self, keys: Mapping[str, str], amounts: Mapping[str, int],
              now: float) -> tuple[list[_Held], list[str]]:
        held, skipped = [], []
        for lim in self.limits:
            value = "*" if lim.per == "global" else keys.get(lim.per)
            if value is None:
                skipped.append(_unkeyed(lim))
            else:
                held.append(self._held(lim, f"{lim.per}={value}", amounts[lim.metric], now))
        return held, skipped

    def _held(self, lim: Limit, who: str, amount: int, now: float) -> _Held:
        """``lim`` for ``who``: its store item at ``now`` (the window or sub-bucket of now) taking ``amount``."""
        base = f"{{{self.namespace}}}:{who}:{lim.metric}:{lim.window}:{lim.algorithm}"
        seconds = window_seconds(lim.window) or 0
        if lim.algorithm == "token_bucket":
            ttl = seconds + 60
            return _Held(lim, who, Bucket(base, float(lim.scaled), lim.scaled / seconds, amount, ttl), now + ttl)
        if lim.algorithm == "sliding":
            width = seconds / lim.buckets
            index = math.floor(now / width)
            expires: float | None = (index + 1) * width + seconds
            keys = tuple(f"{base}:s{i}" for i in range(index - lim.buckets + 1, index + 1))
            return _Held(lim, who, Window(keys, lim.scaled, amount, math.ceil(expires - now)), expires)
        wid, end = _fixed_window(lim.window, now)
        expires = None if end is None else end + 3600
        return _Held(lim, who, Window((f"{base}:{wid}",), lim.scaled, amount,
                                      None if expires is None else math.ceil(expires - now)), expires)

    def _deltas(self, requests: list[_Request], groups: list[list[_Charge]],
                now: float) -> dict[tuple[str, ...] | str, Window | Bucket]:
        """What each request's attempts used beyond (or short of) its reservation, in its own
        windows: one item per store key (requests in the same window, summed)."""
        deltas: dict[tuple[str, ...] | str, Window | Bucket] = {}
        for request, mine in zip(requests, groups):
            actual = self._amounts(sum((c.usage for c in mine), Usage()), len(mine), sum(c.cost for c in mine))
            for h in request.held:
                key = _target(h.item)
                earlier = deltas[key].amount if key in deltas else 0
                deltas[key] = _settling(h, earlier + actual[h.limit.metric] - request.amounts[h.limit.metric], now)
        return deltas

    @staticmethod
    def _amounts(usage: Usage, requests: int, cost_micro: int) -> dict[str, int]:
        return {"tokens": usage.total_tokens, "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens, "cost": cost_micro, "requests": requests}

    @property
    def _costed(self) -> bool:
        return any(lim.metric == "cost" for lim in self.limits)

    def _cost(self, model: str | None, usage: Usage, priced_as: str | None = None) -> int:
        """The reservation's cost, at ``model``'s price or else ``priced_as``'s; `ConfigError`
        when a cost limit applies and neither has a price."""
        info = priced(model) or priced(priced_as)
        if info is None and self._costed:
            raise ConfigError(f"a cost budget applies but model {model!r} has no price: add it "
                              "with guardlayer.tokens.register_model(name, input_price=..., "
                              "output_price=...) or a budget 'prices:' entry")
        return _micro(info, usage)

    def _charge(self, attempt: Attempt, request: _Request, priced_as: str | None) -> _Charge:
        """What one attempt used and cost: the provider's
        figures when it reported them, else counted from the attempt's prompt and output, for
        the model its answer names, else the model its request was reserved for. An attempt
        that failed without a report while the provider may have been generating (timed out,
        cancelled, a stream cut) is charged its prompt and the output it received or reserved,
        whichever is more, a guess (not exact); one answered with an HTTP error or never sent
        (`Attempt.refused`) its prompt only. One cut after the provider reported usage (Anthropic's
        first event says 1 output token) is charged the reported input and the most of the reported
        output, the text received and the output reserved, a guess. A report whose output is far
        shorter than the text received is charged the text counted. A model without a price is priced as the
        model the request was sent to, else ``priced_as`` (the call's), while a cost limit
        applies (never at 0)."""
        name, usage, exact = attempt.model or request.model, attempt.usage, True
        cut = attempt.error is not None and not attempt.refused  # while it may have been generating
        if usage is None:
            (inp, in_exact), (out, out_exact) = _tokens(attempt.prompt, name), _tokens(attempt.output, name)
            if cut:
                out, out_exact = max(out, request.output), False  # a guess
            usage, exact = Usage(inp, out), in_exact and out_exact
        elif cut:  # reported before the cut (Anthropic's first event: 1 output token): a guess
            out = max(usage.output_tokens, _tokens(attempt.output, name)[0], request.output)
            usage, exact = Usage(usage.input_tokens, out), False
        elif _under_reported(usage, attempt.output):
            usage = Usage(usage.input_tokens, max(usage.output_tokens, _tokens(attempt.output, name)[0]))
        info, unpriced = priced(name), None
        if usage.total_tokens and info is None:
            unpriced = str(name)
            info = (priced(request.model) or priced(priced_as)) if self._costed else None
        return _Charge(usage, _micro(info, usage), exact, unpriced)


def _settling(h: _Held, amount: int, now: float) -> Window | Bucket:
    """``h``'s item adding ``amount`` when settled at ``now``: a window's key kept until its
    window ends (a bucket's one key is never shortened)."""
    item = h.item
    if isinstance(item, Bucket):
        return Bucket(item.key, item.capacity, item.rate, amount, item.ttl)
    return Window(item.keys, item.limit, amount, item.ttl if h.expires is None
                  else max(1, math.ceil(h.expires - now)))


def _target(item: Window | Bucket) -> tuple[str, ...] | str:
    """The store key(s) ``item`` names."""
    return item.keys if isinstance(item, Window) else item.key


def _micro(info: ModelInfo | None, usage: Usage) -> int:
    """What ``usage`` costs at ``info``'s prices, in micro-dollars (0 without a price)."""
    cost = info.cost(usage.input_tokens, usage.output_tokens) if info else None
    return 0 if cost is None else round(cost * _MICRO)


def sent_model(fn: Callable[..., Any], arguments: Mapping[str, Any]) -> str | None:
    """The model a request sends when ``fn`` is called with a call's ``arguments`` (as the
    chain calls a fallback), when it says: the call's ``model`` if ``fn`` takes it (a ``model``
    parameter or ``**kwargs``), else the default of ``fn``'s ``model`` parameter (``def
    second(messages, model="gpt-4o-mini")``, ``functools.partial(create, model="gpt-4o-mini")``);
    None when neither names one."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    value = arguments["model"] if takes(sig, "model") and "model" in arguments else default(sig, "model")
    return value if isinstance(value, str) else None


def output_cap(arguments: Mapping[str, Any]) -> int:
    """The largest output a call's arguments allow (`OUTPUT_CAPS`), or 0 when they set none."""
    caps = [arguments.get(name) for name in OUTPUT_CAPS]
    return max((c for c in caps if isinstance(c, int) and not isinstance(c, bool)), default=0)


_DATED = regex.compile(r"(.+?)-(?:\d{8}|\d{4}-\d{2}-\d{2})")


def priced(model: str | None) -> ModelInfo | None:
    """The price table's entry for ``model`` when it has a price. A dated name without one
    (``claude-sonnet-4-20250514``) takes the price of its alias (``claude-sonnet-4``,
    ``claude-sonnet-4-0`` or ``claude-sonnet-4-latest``) when exactly one of them has one."""
    if not model:
        return None
    info = model_info(model)
    if info is not None and info.input_price is not None and info.output_price is not None:
        return info
    dated = _DATED.fullmatch(model, timeout=1.0)
    if dated is None:
        return None
    found = {id(i): i for i in (model_info(dated.group(1) + suffix) for suffix in ("", "-0", "-latest"))
             if i is not None and i.input_price is not None and i.output_price is not None}
    return next(iter(found.values())) if len(found) == 1 else None


def _check_per(limits: Sequence[Limit], tags: Sequence[str]) -> None:
    """Every limit's ``per`` names a scope key or a declared tag (`ConfigError` naming it)."""
    known = (*SCOPE_KEYS, *tags)
    for i, lim in enumerate(limits):
        if lim.per not in known:
            close = difflib.get_close_matches(lim.per, known, n=1)
            raise ConfigError(f"unknown per {lim.per!r}"
                              + (f" (did you mean {close[0]!r}?)" if close else "")
                              + f": use {', '.join(SCOPE_KEYS)} or a tag declared in the budget's "
                              "tags", where="budget", field=f"limits[{i}].per")


def _under_reported(usage: Usage, output: str | None) -> bool:
    """Whether ``output`` has more characters than ``usage``'s output tokens could carry (a
    token is seldom more than 16 characters): the report came before the text was done."""
    return bool(output) and len(output) > 16 * usage.output_tokens + 64


def _tokens(content: Any, model: str | None) -> tuple[int, bool]:
    """(tokens, exact) of a prompt string, a message list or an output; nothing counts 0."""
    if not content:
        return 0, True
    n = count(content, model) if isinstance(content, str) else count_messages(list(content), model)
    return n.tokens, n.exact


def _unit(limit: Limit, value: float) -> float:
    return value / _MICRO if limit.metric == "cost" else value


def _show(limit: Limit, value: float) -> str:
    return f"${value / _MICRO:,.6f}" if limit.metric == "cost" else f"{int(value):,}"


def _status(h: _Held, used: float) -> dict[str, Any]:
    limit = h.limit
    return {"key": h.who, "metric": limit.metric, "window": limit.window,
            "algorithm": limit.algorithm, "limit": limit.limit, "used": _unit(limit, used),
            "remaining": _unit(limit, max(0.0, limit.scaled - used))}


class _Price(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    context_window: int = Field(default=128_000, gt=0)


class _Settings(BaseModel):
    """What `Budget` takes besides its store, checked whether given in code or a rule file."""

    model_config = ConfigDict(extra="forbid")
    limits: list[Limit] = Field(min_length=1)
    model: str | None = None
    reserve_output_tokens: int = Field(default=512, ge=0)
    namespace: str = "gl"
    on_exceeded: Literal["raise", "fallback"] = "raise"
    tags: list[str] = Field(default_factory=list)
    missing_scope: Literal["raise", "skip"] = "raise"


class _BudgetConfig(_Settings):
    store: str = "memory://"
    prices: dict[str, _Price] = Field(default_factory=dict)


def _config_error(exc: ValidationError, given: Mapping[str, Any]) -> ConfigError:
    """The `ConfigError` for budget settings pydantic refused: each problem with its field as
    written (``limits[0].tokens`` for the short form's limit), the value given and what is
    allowed, without pydantic's own report and its links."""
    problems = [(yaml_lines.field_name(_as_written(tuple(p["loc"]), given)), _problem(p)) for p in exc.errors()]
    (field, first), *others = problems
    return ConfigError("; ".join([first] + [f"{f}: {m}" for f, m in others]), where="budget", field=field or None)


def _problem(problem: ErrorDetails) -> str:
    """One problem: what is allowed and the value given."""
    if problem["type"] == "value_error":  # our own validators' messages name the value
        return str(problem["ctx"]["error"])
    if problem["type"] == "extra_forbidden":
        return "unknown key"
    if problem["type"] == "missing":
        return "required key is missing"
    return f"{problem['msg']} (got {reprlib.repr(problem['input'])})"


def _as_written(loc: tuple[Any, ...], given: Any) -> tuple[Any, ...]:
    """``loc`` with a short-form limit's ``limit`` named by the metric it was written as."""
    at = given
    for i, key in enumerate(loc):
        if key == "limit" and isinstance(at, Mapping) and "limit" not in at:
            named = [m for m in METRICS if m in at]
            return loc[:i] + tuple(named[:1] or [key]) + loc[i + 1:]
        try:
            at = at[key]
        except (LookupError, TypeError):
            break
    return loc
