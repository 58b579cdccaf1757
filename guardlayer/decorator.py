"""``@guarded``: a thin face over `Chain` for sync, async and streaming callables."""
from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .call import CallShape
from .chain import Chain
from .errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F | None = None, *, rules: str | Path | None = None, chain: Chain | None = None,
            input: Any = (), output: Any = (), prompt_arg: str | None = None,
            messages_arg: str | None = None, untrusted: dict[str, str] | None = None,
            upstream_turns: bool = False, **options: Any) -> Any:
    """Guard a function that calls a model.

    Guards come from a rule file (``rules=``), a built `Chain` (``chain=``), or code
    (``input=[...]``, ``output=[...]`` plus chain options: ``retries``, ``timeout``,
    ``guard_timeout`` (each guard's time limit, unless its step has its own), ``fallback``,
    ``backoff``, ``budget``, ``name``, ``offload``: async calls run the guards in a worker
    thread, by default when a guard asks for it, as PII does, or has a time limit). The guarded
    text is the ``messages`` argument, else ``prompt_arg`` (default: ``prompt`` or the first ``str``
    argument); ``untrusted`` adds other arguments and their source, e.g. ``{"docs": "document"}``
    (the default prompt is then one it does not name, unannotated only without a default value;
    none when it names a ``user`` argument). ``upstream_turns=True`` lets a Responses call
    refer to items kept by the provider (``item_reference``), turns the guards never see; without
    it such a call is refused. The Report of the last call is `guardlayer.last_report()`.
    """
    if sum(x is not None and x != () for x in (rules, chain, input or output or None)) > 1:
        raise ConfigError("give guards one way: rules=, chain= or input=/output=")
    if rules is not None:
        from .rules import load_rules

        the_chain = load_rules(rules, **options)
    elif chain is not None:
        if options:
            raise ConfigError(f"chain= is already built; options {sorted(options)} cannot apply")
        the_chain = chain
    else:
        the_chain = Chain.build(input, output, **options)

    def wrap(fn: F) -> F:
        shape = CallShape.of(fn, prompt_arg=prompt_arg, messages_arg=messages_arg, untrusted=untrusted,
                             upstream_turns=upstream_turns)
        if the_chain.input and (shape.unnamed or not shape.sources and not shape.messages_arg):
            several = f" (several str arguments: {', '.join(shape.unnamed)})" if shape.unnamed else ""
            raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} has input guards but no untrusted "
                              f"text to give them{several or ' (or several str arguments, none named prompt)'}: "
                              "name it with prompt_arg=, messages_arg= or untrusted=")
        wrapper: Callable[..., Any]
        # An SDK's async method is a sync ``functools.wraps`` wrapper that returns a coroutine
        # (openai's ``AsyncCompletions.create``, anthropic's ``AsyncMessages.create``): its kind
        # is that of the function it wraps.
        kind = inspect.unwrap(fn)
        if inspect.isasyncgenfunction(kind):
            async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                result = await the_chain.run_async(fn, shape, args, kwargs)
                if hasattr(result, "__anext__"):
                    async with result:  # closed with this generator, the provider's stream first
                        async for piece in result:
                            yield piece
                else:
                    yield result
        elif inspect.iscoroutinefunction(kind):
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await the_chain.run_async(fn, shape, args, kwargs)
        elif inspect.isgeneratorfunction(kind):
            def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
                result = the_chain.run(fn, shape, args, kwargs)
                if hasattr(result, "__next__"):
                    yield from result
                else:
                    yield result
        else:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return the_chain.run(fn, shape, args, kwargs)
        functools.update_wrapper(wrapper, fn)
        wrapper.chain = the_chain  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return wrap(fn) if fn is not None else wrap
