"""The ``guardlayer`` command.

    guardlayer rules check FILE...                 validate rule files
    guardlayer check --rules FILE [TEXT|-]         run a chain's input (or output) guards on a text
    guardlayer scan --rules FILE PATH|-            ... on each line of a file (or JSONL "text")
    guardlayer serve --rules FILE --upstream URL   an OpenAI-compatible guard proxy
    guardlayer bench NAME [ARGS...]                run a benchmark (guardlayer.bench.NAME)
    guardlayer demo                                guards blocking, fixing and falling back

Exit codes: 0 fine, 1 blocked, 2 bad usage, a broken rule file or a guard that cannot run,
141 the reader of the output left (``guardlayer scan ... | head``: it stops quietly).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Blocked, GuardlayerError, MissingExtra

if TYPE_CHECKING:
    from .chain import Chain
    from .report import Report

JSONL = (".jsonl", ".ndjson")
"""Files `scan` reads as JSON Lines (one object with a ``text`` a line) without ``--jsonl``."""


def _load(file: str, *, open_stores: bool = False) -> Chain | None:
    """The chain a rule file describes, or None after one line on stderr saying why not.
    Budget stores are checked, not opened, unless a command spends the budget (``serve``)."""
    from .rules import load_rules

    try:
        return load_rules(file, open_stores=open_stores)
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
    one line on stderr (`_decoded`)."""
    try:
        # an argument keeps the bytes the locale could not decode as surrogates: get them back
        data = sys.stdin.buffer.read() if arg in (None, "-") else arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return _not_utf8("the text")
    return _decoded(data, "the text")


def _decoded(data: bytes, where: str) -> str | None:
    """``data`` as UTF-8, else None after one line on stderr. Bytes that are not UTF-8 are
    refused, not replaced: the guards must judge the text as given, and a replacement
    character inside a word could hide it from them."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(where, f" (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})")


def _not_utf8(where: str, at: str = "") -> None:
    print(f"error: {where} is not UTF-8{at}: convert it first, e.g. with iconv", file=sys.stderr)


def _guard(chain: Chain, args: argparse.Namespace, text: str) -> tuple[str | None, Report]:
    """``text`` after the chain's guards of one side (input: as a prompt from ``args.source``;
    output: as the model's answer) and the Report; None for the text when a guard blocked it."""
    try:
        if args.side == "output":
            return chain.check_answer(text)
        return chain.check_text(text, source=args.source or "user")
    except Blocked as exc:
        assert exc.report is not None
        return None, exc.report


def _source_fits(args: argparse.Namespace) -> bool:
    """Is ``--source`` (where a prompt came from) given only with the input side? Else one
    line on stderr."""
    if args.side == "output" and args.source is not None:
        print("error: --source says where a prompt came from: it applies to --side input, "
              "not to an answer (--side output)", file=sys.stderr)
        return False
    return True


def _check(args: argparse.Namespace) -> int:
    if not _source_fits(args):
        return 2
    text = _text(args.text)
    if text is None:
        return 2
    chain = _load(args.rules)
    if chain is None:
        return 2
    guarded_text, report = _guard(chain, args, text)
    status = int(guarded_text is None)
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


def _items(path: str, jsonl: bool) -> list[tuple[int, str]] | None:
    """The texts `scan` checks, by line number (blank lines skipped): each line, or each JSON
    line's ``text``; else None after one line on stderr naming the file and line."""
    where = "standard input" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        print(f"error: {where}: cannot read: {exc.strerror}", file=sys.stderr)
        return None
    content = _decoded(data, where)
    if content is None:
        return None
    items = []
    for number, line in enumerate(content.split("\n"), 1):
        if not line.strip():
            continue
        if not jsonl:
            items.append((number, line.removesuffix("\r")))
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            print(f"error: {where}:{number}: not JSON: {exc}", file=sys.stderr)
            return None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            print(f"error: {where}:{number}: a JSON line must be an object with a string 'text'",
                  file=sys.stderr)
            return None
        items.append((number, record["text"]))
    return items


def _scan(args: argparse.Namespace) -> int:
    if not _source_fits(args):
        return 2
    items = _items(args.path, args.jsonl or args.path.endswith(JSONL))
    if items is None:
        return 2
    chain = _load(args.rules)
    if chain is None:
        return 2
    counts = {"blocked": 0, "fixed": 0, "ok": 0}
    for number, text in items:
        guarded_text, report = _guard(chain, args, text)
        outcome = "blocked" if guarded_text is None else "fixed" if report.outcome == "fixed" else "ok"
        counts[outcome] += 1
        failed = report.failed
        if args.json:
            print(json.dumps({"line": number, "outcome": outcome, "text": guarded_text,
                              "failed": [v.to_dict() for v in failed]}, ensure_ascii=False))
        elif failed:
            reasons = "; ".join(f"{v.guard}: {v.reason}" for v in failed)
            print(f"line {number}: {outcome if outcome != 'ok' else 'logged'}: {reasons}")
    summary = {"scanned": len(items), **counts}
    if args.json:
        print(json.dumps({"summary": summary}))
    else:
        print(f"scanned {len(items)} item(s): {counts['blocked']} blocked, {counts['fixed']} fixed, "
              f"{counts['ok']} passed")
    return int(counts["blocked"] > 0)


def _serve(args: argparse.Namespace) -> int:
    from .server import serve  # MissingExtra without the server extra: main says the pip install

    api_key = os.environ.get(args.api_key_env) if args.api_key_env else None
    if args.api_key_env and not api_key:
        print(f"error: --api-key-env {args.api_key_env}: that environment variable is not set",
              file=sys.stderr)
        return 2
    chain = _load(args.rules, open_stores=True)
    if chain is None:
        return 2
    serve(chain, args.upstream, host=args.host, port=args.port, api_key=api_key,
          max_body=args.max_body, grace=args.grace)
    return 0


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


def _sides(command: argparse.ArgumentParser) -> None:
    command.add_argument("--side", choices=("input", "output"), default="input",
                         help="judge the text as a prompt (default) or as a model's answer")
    command.add_argument("--source", choices=("user", "document", "tool"),
                         help="input side only: judge the text as a user's message (default), a retrieved "
                              "document or a tool's output (injection's document_threshold applies)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="guardlayer", description="Guards around LLM calls.")
    sub = root.add_subparsers(dest="command", required=True)

    rules = sub.add_parser("rules", help="work with rule files").add_subparsers(dest="action", required=True)
    rules_check = rules.add_parser("check", help="validate rule files")
    rules_check.add_argument("files", nargs="+")
    rules_check.set_defaults(run=_rules_check)

    check = sub.add_parser("check", help="run a chain's input (or output) guards on a text")
    check.add_argument("--rules", required=True, help="rule file")
    _sides(check)
    check.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    check.add_argument("text", nargs="?", help="the text, or - (default) to read standard input")
    check.set_defaults(run=_check)

    scan = sub.add_parser("scan", help="run a chain's guards on each line of a file (exit 1: any blocked)")
    scan.add_argument("--rules", required=True, help="rule file")
    _sides(scan)
    scan.add_argument("--jsonl", action="store_true",
                      help="read JSON Lines, the text of each in its 'text' field (implied by .jsonl)")
    scan.add_argument("--json", action="store_true",
                      help="print a JSON line per item (its guarded text too), then a summary line")
    scan.add_argument("path", help="the file, or - to read standard input")
    scan.set_defaults(run=_scan)

    serve = sub.add_parser("serve", help="run an OpenAI-compatible proxy that guards every chat completion")
    serve.add_argument("--rules", required=True, help="rule file")
    serve.add_argument("--upstream", required=True,
                       help="base URL of the OpenAI-compatible API, e.g. https://api.openai.com/v1")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--api-key-env", metavar="NAME",
                       help="send the key in this environment variable upstream, instead of the "
                            "client's Authorization header")
    serve.add_argument("--max-body", type=int, default=4 * 1024 * 1024, metavar="BYTES",
                       help="refuse request bodies larger than this with HTTP 413 (default 4 MiB)")
    serve.add_argument("--grace", type=float, default=10.0, metavar="SECONDS",
                       help="on Ctrl-C or SIGTERM, wait this long for open calls; calls still "
                            "waiting for the model then end with an OpenAI-style error (503, or "
                            "an SSE error event) (default 10)")
    serve.set_defaults(run=_serve)

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
        status = run(args)
        sys.stdout.flush()  # (inside: a reader that left is found here, not at exit)
        return status
    except (GuardlayerError, MissingExtra) as exc:  # configuration, not a verdict: exit 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (nothing left to flush)
        return 141


if __name__ == "__main__":
    sys.exit(main())
