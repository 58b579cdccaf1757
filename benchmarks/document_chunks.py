"""Turn files of ordinary documents into benign JSONL for ``guardlayer bench injection``.

    python benchmarks/document_chunks.py --out /tmp/docs/readmes.jsonl --metadata \\
        .venv/lib/python3.11/site-packages/*.dist-info/METADATA
    python benchmarks/document_chunks.py --out /tmp/docs/stdlib.jsonl --max-chunks 5 /usr/lib/python3.11/*.py
    find /usr/share/cmake-3.25/Help -name '*.rst' -size +2k -print0 | \
        xargs -0 python benchmarks/document_chunks.py --out /tmp/docs/cmake_help.jsonl --max-chunks 3
    guardlayer bench injection --source document --corpus /tmp/docs --json /tmp/docs.json

Retrieved documents and tool output are mostly text nobody wrote to attack a model: READMEs,
source code, changelogs. The attack corpora's benign rows are chat prompts, so a detector can
look clean on them and still flag markdown or code. Each file given is cut into chunks of
``--chars`` characters (as a retriever would), at most ``--max-chunks`` a file; each chunk is a row
``{"text", "label": 0, "source", "id"}``. With ``--metadata``, a package's METADATA file is read
from its description (after the headers). Nothing is copied into the project: the rows go to
``--out``, and the files' sha256 to ``--out`` + ``.sources.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def chunks(text: str, size: int, most: int, least: int = 200) -> list[str]:
    """``text`` cut every ``size`` characters, the first ``most`` pieces of ``least`` or more."""
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    return [p for p in pieces if len(p.strip()) >= least][:most]


def body(raw: bytes, metadata: bool) -> str:
    text = raw.decode("utf-8", errors="replace")
    return text.partition("\n\n")[2] if metadata else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--chars", type=int, default=2048)
    parser.add_argument("--max-chunks", type=int, default=15)
    parser.add_argument("--metadata", action="store_true", help="files are METADATA: read the description only")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sources, rows = [], 0
    with args.out.open("w", encoding="utf-8") as out:
        for path in sorted(args.files):
            raw = path.read_bytes()
            sources.append({"file": str(path), "sha256": hashlib.sha256(raw).hexdigest()})
            for k, text in enumerate(chunks(body(raw, args.metadata), args.chars, args.max_chunks)):
                out.write(json.dumps({"text": text, "label": 0, "source": args.out.stem, "id": f"{path}#{k}"}) + "\n")
                rows += 1
    Path(f"{args.out}.sources.json").write_text(json.dumps(sources, indent=1))
    print(f"{rows} chunks of {len(sources)} files -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
