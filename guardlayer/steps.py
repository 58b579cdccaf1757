"""A chain step: a guard, what to do when it fails, and running it (fail closed)."""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from typing import Any

from . import registry
from .call import OWN_SOURCES
from .context import Context
from .errors import ConfigError, GuardlayerError, MissingExtra, RuleFileError
from .guard import guard_name
from .report import Check
from .verdict import Action, Verdict


@dataclass(frozen=True, slots=True)
class Step:
    """A guard placed in a chain, with its ``on_fail`` action and its time limit (``timeout``,
    seconds; None: none). A guard may list the ``on_fail`` values it can carry out in an
    ``on_fail_actions`` attribute (a guard whose verdicts name their own action cannot re-ask);
    a step with another is refused when it is built."""

    guard: Any
    on_fail: Action
    name: str
    timeout: float | None = None

    def __post_init__(self) -> None:
        where = f"guard {self.name!r}"
        limit = self.timeout
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float))
                                  or not 0 < limit < math.inf):
            raise ConfigError(f"timeout is the guard's time limit in seconds, a number above 0, "
                              f"not {limit!r}", where=where, field="timeout")
        honoured = getattr(self.guard, "on_fail_actions", None)
        if honoured is not None and self.on_fail.value not in honoured:
            raise ConfigError(f"on_fail {self.on_fail.value!r} is not one this guard carries out: use "
                              f"one of {', '.join(honoured)}", where=where, field="on_fail")

    @property
    def holdback(self) -> int | None:
        """Characters to hold back when judging a streamed prefix; None: judge at the end."""
        value = getattr(self.guard, "holdback", None)
        return value if isinstance(value, int) else None

    def run(self, text: str, ctx: Context, target: str, attempt: int = 0) -> tuple[Verdict, Action | None]:
        """Check ``text``; record the verdict and the action the chain takes in the Report."""
        start = time.perf_counter()
        verdict = self.judge(text, ctx)
        action = self.decide(verdict, ctx.side, ctx.source)
        self.record(ctx, target, verdict, action, (time.perf_counter() - start) * 1000, attempt)
        return verdict, action

    def judge(self, text: str, ctx: Context) -> Verdict:
        """The guard's verdict; a guard that raises, returns no Verdict or (with a ``timeout``)
        does not answer in time has failed (`chain.check_in_time`)."""
        try:
            if self.timeout is None:
                verdict = self.guard.check(text, ctx)
            else:
                from .chain import check_in_time  # (chain imports this module)

                verdict = check_in_time(self, text, ctx)
            if not isinstance(verdict, Verdict):
                verdict = Verdict.fail(f"guard returned {type(verdict).__name__}, not a Verdict")
            elif (problem := _malformed(verdict)) is not None:
                verdict = Verdict.fail(f"guard returned a malformed Verdict: {problem}")
            elif type(verdict.passed) is not bool:  # a numpy bool
                verdict = verdict._replace(passed=bool(verdict.passed))
        except MissingExtra:  # not the text's fault: the install's, said as such
            raise
        except Exception as exc:  # noqa: BLE001 - a crashing guard fails closed
            verdict = Verdict.fail(f"guard raised {type(exc).__name__}: {exc}", meta={"error": True})
        return verdict.named(self.name)

    @staticmethod
    def record(ctx: Context, target: str, verdict: Verdict, action: Action | None, ms: float,
               attempt: int = 0) -> None:
        ctx.report.checks.append(Check(ctx.side, target, verdict, action, ms, attempt))

    def decide(self, verdict: Verdict, side: str, source: str = "") -> Action | None:
        """The action for a verdict: None when it passed. Unfixable fixes and input-side
        re-asks become blocks (fail closed). A verdict may name its own action (policy rules),
        but a step whose ``on_fail`` is ``log`` only records (shadow mode), whatever it asks.
        The application's own text (the assistant's earlier turns, system and developer
        messages) is fixed when the verdict can be, else only recorded: it is never a reason to
        refuse the user's new turn, unless the guard crashed or timed out on it (that text, with
        the originals put back in earlier answers, would go out unread: fail closed)."""
        if verdict.passed:
            return None
        if self.on_fail is Action.LOG:
            return Action.LOG
        if source in OWN_SOURCES and not (verdict.meta.get("error") or getattr(self.guard, "whole_call", False)):
            return Action.FIX if _can_fix(verdict, side) else Action.LOG
        try:
            action = Action(verdict.meta.get("action", self.on_fail))
        except ValueError:
            return Action.BLOCK
        if action is Action.FIX and not _can_fix(verdict, side):
            return Action.BLOCK
        if action is Action.REASK and side == "input":
            return Action.BLOCK
        return action


def check_side(step: Step, side: str) -> None:
    """`ConfigError` when ``step``'s guard cannot work on ``side`` (its ``sides`` attribute)."""
    sides = getattr(step.guard, "sides", None)
    if sides is not None and side not in sides:
        raise ConfigError(f"{step.name!r} is an {' and '.join(sides)} guard, not an {side} one",
                          where=f"guard {step.name!r}", field="guard")


def _malformed(verdict: Verdict) -> str | None:
    """What is wrong with a verdict's fields a chain acts on (a string "False" is truthy)."""
    passed = verdict.passed
    if not (isinstance(passed, bool) or type(passed).__module__ == "numpy"
            and type(passed).__name__ in ("bool", "bool_")):  # (numpy's, as a model's score gives)
        return f"passed must be True or False, not {passed!r}"
    if not isinstance(verdict.fixed, str | None):
        return f"fixed must be a str or None, not {type(verdict.fixed).__name__}"
    return None


def _can_fix(verdict: Verdict, side: str) -> bool:
    """A fix needs fixed text, or (output) a parsed value, or (input) a new conversation."""
    if verdict.fixed is not None:
        return True
    if side == "input":
        return bool(verdict.meta.get("messages")) and isinstance(verdict.value, list)
    return verdict.has_value


def step(guard: Any, on_fail: Action | str | None = None, *, name: str | None = None,
         timeout: float | None = None, **params: Any) -> Step:
    """Place a guard in a chain: ``step(PIIGuard(), "fix")`` or ``step("pii", "fix", operator=...)``.

    ``on_fail`` defaults to the guard's own ``on_fail`` attribute, else ``block``. ``timeout``
    limits each check to that many seconds: past it the verdict fails (``guard timed out``)
    and ``on_fail`` decides, as for a guard that raises. A guard named by the registry is
    built from ``params`` checked as a rule file's are (`build`).
    """
    where = f"guard {guard if isinstance(guard, str) else guard_name(guard)!r}"
    action = None if on_fail is None else _action(on_fail, where)
    if name is not None and not isinstance(name, str):
        raise ConfigError("name must be a string", where=where, field="name")
    if isinstance(guard, str):
        label = name or guard
        guard = build(guard, params, name, timed=timeout is not None)
    elif params:
        raise ConfigError("parameters go to the guard's constructor; pass them only with a guard name")
    else:
        label = name or guard_name(guard)
    if not callable(getattr(guard, "check", None)):
        raise ConfigError(f"{guard!r} is not a guard: it has no check(text, ctx) method")
    return Step(guard, action or _action(getattr(guard, "on_fail", None) or Action.BLOCK, where), label,
                timeout)


def build(name: str, params: dict[str, Any], label: str | None = None, *, timed: bool = False) -> Any:
    """The guard registered as ``name``, built from ``params`` checked against its
    constructor's signature and types (the model rule files use). ``label``, the step's name,
    is the guard's own name too when it takes one (it keys the guard's per-call state).
    Errors are `ConfigError`s naming the guard and the parameter; an error in a file the guard
    reads is that file's `RuleFileError`; a missing extra stays `MissingExtra`."""
    from .rules import checked, named_param, params_model  # pydantic loads on first use

    try:
        factory = registry.resolve(name)
    except MissingExtra:
        raise
    except ConfigError as exc:
        raise ConfigError(str(exc), field="guard") from exc
    where = f"guard {name!r}"
    takes = inspect.signature(factory).parameters
    if timed and "timeout" in takes:
        raise ConfigError("timeout is the step's time limit for each check, and this guard takes a "
                          "parameter of that name too, which it would hide: rename the guard's "
                          "parameter, or build the guard and place it with step(guard, timeout=...)",
                          where=where, field="timeout")
    if label is not None and "name" in takes:
        params = {**params, "name": label}
    values = checked(params_model(factory), params, where)
    try:
        return factory(**{k: getattr(values, f"p_{k}", params[k]) for k in params})
    except RuleFileError as exc:
        if exc.file is not None:
            raise
        raise ConfigError(exc.message, where=where, field=exc.field) from exc
    except MissingExtra:
        raise
    except (GuardlayerError, ValueError, TypeError, OSError) as exc:
        raise ConfigError(str(exc), where=where, field=named_param(str(exc), params)) from exc


def _action(on_fail: Any, where: str) -> Action:
    try:
        return Action(on_fail)
    except ValueError:
        raise ConfigError(f"on_fail must be one of {[a.value for a in Action]}, not {on_fail!r}",
                          where=where, field="on_fail") from None


def as_step(item: Any) -> Step:
    """A `Step` from a Step, a guard, a registry name, or a ``(guard, on_fail)`` pair."""
    if isinstance(item, Step):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        return step(item[0], item[1])
    return step(item)
