"""guardlayer's errors. Catch `GuardlayerError` for all of them::

    GuardlayerError
    ├── ConfigError            a chain or guard was configured wrongly
    │   └── RuleFileError      ... in a rule file: carries file, line and field
    ├── MissingExtra           a guard needs an optional dependency (also an ImportError)
    ├── Blocked                a guard failed with on_fail=block: carries verdicts and the Report
    ├── ProviderError          the model kept failing and no fallback served: wraps the last error
    │   └── CallTimeout        ... because the call took longer than the timeout
    └── BudgetExceeded         a budget or rate limit would be overspent
"""
from __future__ import annotations

import re

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import Report
    from .verdict import Verdict


class GuardlayerError(Exception):
    """Base of every error guardlayer raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by its state (verdicts, report, fields), not by calling ``__init__`` again
        (whose arguments are not ``args``): errors cross process pools and task queues whole."""
        return _rebuilt, (type(self), self.args), self.__dict__


def _rebuilt(cls: type[GuardlayerError], args: tuple[Any, ...]) -> GuardlayerError:
    error = cls.__new__(cls)
    error.args = args
    return error


class ConfigError(GuardlayerError, ValueError):
    """A chain, guard or rule was configured wrongly. ``where`` names what (a guard, the
    chain, a file and line) and ``field`` the option at fault, when known."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None) -> None:
        self.message, self.where, self.field = message, where, field
        head = " ".join(p for p in (where, f"[{field}]" if field else "") if p)
        super().__init__(f"{head}: {message}" if head else message)


class RuleFileError(ConfigError):
    """A rule file is wrong; says which file, line and field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line = file, line
        super().__init__(message, field=field,
                         where=":".join(str(p) for p in (file, line) if p is not None) or None)


class MissingExtra(GuardlayerError, ImportError):
    """An optional dependency is missing; the message names the `pip install` that fixes it."""

    def __init__(self, what: str, extra: str, module: str | None = None) -> None:
        self.extra = extra
        super().__init__(f"{what} needs the '{extra}' extra"
                         f"{f' ({module} is not installed)' if module else ''}: {install_line(extra)}")


def install_line(extra: str) -> str:
    """The ``pip install`` of ``extra``'s requirements, as the installed guardlayer lists them
    (``pip install 'guardlayer[pii]'`` would fetch another project: the name is taken on PyPI);
    without installed metadata, the extra from a checkout of this project."""
    from importlib import metadata

    try:
        listed = metadata.requires("guardlayer") or []
    except metadata.PackageNotFoundError:
        listed = []
    marker = re.compile(r"""\bextra\s*==\s*["']""" + re.escape(extra) + r"""["']""")
    specs = [req.split(";")[0].strip() for req in listed if ";" in req and marker.search(req.split(";", 1)[1])]
    if not specs or any(spec.startswith("guardlayer") for spec in specs):  # (``all`` names the others)
        return f"pip install -e '.[{extra}]' in a checkout of guardlayer"
    return "pip install " + " ".join(f"'{spec}'" for spec in specs)


class Blocked(GuardlayerError):
    """A guard failed and its policy was to block. `verdicts` are the failing ones."""

    def __init__(self, verdicts: list[Verdict], report: Report | None = None,
                 message: str | None = None) -> None:
        self.verdicts = list(verdicts)
        self.report = report
        reasons = "; ".join(f"{v.guard}: {v.reason}" for v in self.verdicts)
        super().__init__(message or f"blocked by {reasons}")


class ProviderError(GuardlayerError):
    """The wrapped model call failed on every try and no fallback served."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        self.report = report
        super().__init__(message)


class CallTimeout(ProviderError, TimeoutError):
    """The wrapped model call did not answer within the timeout."""


class BudgetExceeded(GuardlayerError):
    """A budget or rate limit would be overspent by this call."""

    def __init__(self, message: str, *, key: str | None = None, limit: Any = None,
                 spent: Any = None, report: Report | None = None) -> None:
        self.key, self.limit, self.spent, self.report = key, limit, spent, report
        super().__init__(message)
