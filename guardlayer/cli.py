"""The ``guardlayer`` command.

    guardlayer rules check FILE...                 validate rule files
    guardlayer check --rules FILE [TEXT|-]         run a chain's input guards on a text
    guardlayer bench NAME [ARGS...]                run a benchmark (guardlayer.bench.NAME)
    guardlayer demo                                guards blocking, fixing and falling back

Exit codes: 0 fine, 1 blocked, 2 bad usage, a broken rule file or a guard that cannot run.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .errors import Blocked, GuardlayerError, MissingExtra

if TYPE_CHECKING:
    from .chain import Chain


def _load(file: str) -> Chain | None:
    """The chain a rule file describes, or None after one line on stderr saying why not.
    Budget stores are checked, not opened: neither command spends a budget."""
    from .rules import load_rules

    try:
        return load_rules(file, open_stores=False)
    except (GuardlayerError, MissingExtra) as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001  a guard constructor failing is a config error too
        message = f"{file}: cannot build the chain: {type(exc).__name__}: {exc}"
    print("error: " + " ".join(message.splitlines()), file=sys.stderr)
    return None


def _rules_check(args: argparse.Namespace) -> int:
    status = 0
    for file in args.files:
        chain = _load(file)
        if chain is None:
            status = 2
            continue
        names = lambda steps: ", ".join(f"{s.name}({s.on_fail.value})" for s in steps) or "-"
        print(f"ok: {file}: input [{names(chain.input)}] output [{names(chain.output)}] "
              f"retries={chain.retries} timeout={chain.timeout}")
    return status


def _text(arg: str | None) -> str | None:
    """The text to check, from the argument or standard input, read as UTF-8; else None after
    one line on stderr. Bytes that are not UTF-8 are refused, not replaced: the guards must
    judge the text as given, and a replacement character inside a word could hide it from them."""
    try:
        # an argument keeps the bytes the locale could not decode as surrogates: get them back
        data = sys.stdin.buffer.read() if arg in (None, "-") else arg.encode("utf-8", "surrogateescape")
        return data.decode("utf-8")
    except UnicodeError as exc:
        where = (f" (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
                 if isinstance(exc, UnicodeDecodeError) else "")
        print(f"error: the text is not UTF-8{where}: convert it first, e.g. with iconv",
              file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    text = _text(args.text)
    if text is None:
        return 2
    chain = _load(args.rules)
    if chain is None:
        return 2
    try:
        guarded_text, report = chain.check_text(text)
        status = 0
    except Blocked as exc:
        guarded_text, report, status = None, exc.report, 1
    assert report is not None
    if args.json:
        print(json.dumps({"blocked": status == 1, "text": guarded_text, "report": report.to_dict()},
                         indent=2))
        return status
    for check in report.checks:
        mark = "pass" if check.verdict.passed else (check.action.value if check.action else "fail")
        print(f"{mark:8} {check.verdict.guard:14} score={check.verdict.score:.2f} "
              f"{check.ms:7.2f} ms  {check.verdict.reason}")
    print("BLOCKED" if status else f"ok{' (fixed)' if report.outcome == 'fixed' else ''}")
    if guarded_text is not None and guarded_text != text:
        print(f"guarded text: {guarded_text}")
    return status


def _bench(args: argparse.Namespace, rest: list[str]) -> int:
    from . import bench

    available = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    if args.name not in available:
        print(f"error: no benchmark {args.name!r}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"guardlayer.bench.{args.name}")
    try:
        return int(module.main(rest) or 0)
    except (OSError, ValueError) as exc:  # a file, store or value named on the command line
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace) -> int:
    from .demo import main as demo

    return demo()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="guardlayer", description="Guards around LLM calls.")
    sub = root.add_subparsers(dest="command", required=True)

    rules = sub.add_parser("rules", help="work with rule files").add_subparsers(dest="action", required=True)
    rules_check = rules.add_parser("check", help="validate rule files")
    rules_check.add_argument("files", nargs="+")
    rules_check.set_defaults(run=_rules_check)

    check = sub.add_parser("check", help="run a chain's input guards on a text")
    check.add_argument("--rules", required=True, help="rule file")
    check.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    check.add_argument("text", nargs="?", help="the text, or - (default) to read standard input")
    check.set_defaults(run=_check)

    bench = sub.add_parser("bench", help="run a benchmark: guardlayer bench NAME --help")
    bench.add_argument("name")
    bench.set_defaults(run=None)

    demo = sub.add_parser("demo", help="show guards blocking, fixing and falling back, offline")
    demo.set_defaults(run=_demo)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["bench"] and len(argv) > 1 and not argv[1].startswith("-"):
            return _bench(argparse.Namespace(name=argv[1]), argv[2:])
        args = parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except (GuardlayerError, MissingExtra) as exc:  # configuration, not a verdict: exit 2
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
