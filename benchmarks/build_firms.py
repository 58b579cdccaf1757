"""Build ``guardlayer/guards/pii/data/firms.json``, the PII guard's list of large firms named like
people ("Morgan Stanley", "Ralph Lauren", "John Deere"), from the stock index constituents that
the PyPI package ``pytickersymbols`` 1.17.10 (MIT) ships (S&P 500, S&P 600, NASDAQ 100, FTSE 100,
DAX, CAC 40, EURO STOXX 50 and others: 1,837 firms). Nothing else is added by hand.

    pip download pytickersymbols==1.17.10 --no-deps -d /tmp/firms
    python benchmarks/build_firms.py /tmp/firms/pytickersymbols-1.17.10-py3-none-any.whl

The wheel's sha256 must be `SOURCE_SHA256`; its data module is read as a literal (never run).
Written: each firm's short name (a leading "The", a bracket and trailing words of a firm's
form, `FORM_WORDS`, cut off: "The Walt Disney Company" is "Walt Disney") when it is two or
three capitalised words and the first is a listed given name (`names.json`), the way the
guard's name finders would take it for a person. Prints the output's sha256 for
`names.EXPECTED_FIRMS_SHA256`.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

from guardlayer.guards.pii.names import names

SOURCE = "pytickersymbols 1.17.10 (PyPI, MIT): stock index constituents"
SOURCE_SHA256 = "126ba59039f62fbde99d02b49eb180f0eb7987120aa8daaa25fe4b1c1651eb57"
DATA_MODULE = "pytickersymbols/indices_data.py"
OUT = Path(__file__).resolve().parent.parent / "guardlayer" / "guards" / "pii" / "data" / "firms.json"
FORM_WORDS = frozenset((
    "corporation incorporated inc inc. corp corp. co co. company companies group holdings ltd ltd. "
    "plc se ag nv n.v. sa s.a. international worldwide technologies financial investments "
    "associates & and").split())
"""Words of a firm's legal form or kind that end its registered name but not the name people use
("Charles Schwab Corporation", "Raymond James Financial", "Eli Lilly and Company")."""
_WORD = re.compile(r"[A-Z][a-z]+")


def short_name(name: str) -> str | None:
    """``name`` as people write it (see the module), or None when it is not two or three
    capitalised words."""
    words = re.sub(r"\s*\(.*?\)", "", name).replace(",", "").split()
    if words[:1] == ["The"]:
        words = words[1:]
    while words and words[-1].lower() in FORM_WORDS:
        words.pop()
    if 2 <= len(words) <= 3 and all(_WORD.fullmatch(w) for w in words):
        return " ".join(words)
    return None


def firms_in(path: Path) -> list[str]:
    """The short names (`short_name`) of the firms in the wheel at ``path`` whose first word is a
    listed given name, sorted; the data module's ``INDICES`` is read as a literal."""
    with zipfile.ZipFile(path) as wheel:
        module = ast.parse(wheel.read(DATA_MODULE).decode("utf-8"))
    indices = next(ast.literal_eval(node.value) for node in module.body
                   if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "INDICES")
    given = names().given
    return sorted({short for index in indices.values() for firm in index["companies"]
                   if (short := short_name(firm["name"])) and short.split()[0].lower() in given})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="pytickersymbols-1.17.10-py3-none-any.whl")
    args = parser.parse_args()
    raw = args.wheel.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"{args.wheel}: sha256 {digest}, expected {SOURCE_SHA256}", file=sys.stderr)
        return 1
    firms = firms_in(args.wheel)
    data = {"source": SOURCE, "source_sha256": SOURCE_SHA256, "firms": firms}
    text = json.dumps(data, ensure_ascii=True, indent=0) + "\n"
    OUT.write_text(text, encoding="ascii")
    print(f"{OUT}: {len(firms)} firms, sha256 {hashlib.sha256(text.encode()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
