"""The recognisers added in round 2: postal blocks, phone formats, dates, names, places,
organisations, and what the guard does with spaCy's DATE, ORG and multi-line hits."""
import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.addresses import find_street_addresses
from guardlayer.guards.pii.dates import find_dates, is_specific
from guardlayer.guards.pii.people import find_names, find_organizations, find_places
from guardlayer.guards.pii.recognizers import find_phone_numbers


def _found(guard: PIIGuard, text: str, kind: str | None = None) -> list[str]:
    return [text[f.start:f.end] for f in guard.check(text, Context()).findings
            if kind is None or f.kind == kind]


@pytest.mark.parametrize(("text", "address"), [
    # one part per line, street names in any language, a unit, town, country and postcode
    ("Jeffrey Long\n\n76 Boriñaur enparantza 29\n Apt. 311\n Campos\n Solomon Islands 32262",
     "76 Boriñaur enparantza 29\n Apt. 311\n Campos\n Solomon Islands 32262"),
    (">Katherine Acevedo\n>95 Bergshaugen 43\n>Apt. 680\n>FOSNAVÅG\n>Dominica 16619",
     "95 Bergshaugen 43\n>Apt. 680\n>FOSNAVÅG\n>Dominica 16619"),
    # comma-separated on one line, inside a sentence
    ("The letter arrived at 38 Tacuarembo 6626 Suite 595, Glen Arbor, Bolivia 52626 last night.",
     "38 Tacuarembo 6626 Suite 595, Glen Arbor, Bolivia 52626"),
    ("Send the contract to Chloé Martin, 18 rue des Lilas, 69003 Lyon, France.",
     "18 rue des Lilas, 69003 Lyon, France"),
    ("4417 Maple Grove Drive, Apt 12B, Springfield, IL 62704, USA. Thanks",
     "4417 Maple Grove Drive, Apt 12B, Springfield, IL 62704, USA"),
    # a unit and trailing place names with no separators
    ("it is 05 Weblinger Gürtel 92 Apt. 584 HEILIGENBRUNN France",
     "05 Weblinger Gürtel 92 Apt. 584 HEILIGENBRUNN France"),
    # post office and military boxes, with a house number before them
    ("Mailing address: P.O. Box 2231, Anchorage, AK 99510", "P.O. Box 2231, Anchorage, AK 99510"),
    ("Kathleen\n\n10 P.O. Box 101\n Apt. 621\n Qeqertarsuaq\n Moldova 73916",
     "10 P.O. Box 101\n Apt. 621\n Qeqertarsuaq\n Moldova 73916"),
    ("Foot Quarters\nUnit 3906 Box 2810\nDPO AE 08750", "Unit 3906 Box 2810\nDPO AE 08750"),
    # intersections, Spanish C/ and Polish ul. prefixes, a postcode given after a cue
    ("it's in the corner of frankfurter allee 73 and edmunds street",
     "the corner of frankfurter allee 73 and edmunds street"),
    ("Robert lives at C/ Señores Curas 88, Villafranca del Cid", "C/ Señores Curas 88, Villafranca del Cid"),
    ("Michael Culp lives at 55 ul. Podleśna 17, Katowice", "55 ul. Podleśna 17, Katowice"),
    ("My zip code is 86881", "86881"),
])
def test_postal_addresses(regex_guard: PIIGuard, text: str, address: str) -> None:
    assert _found(regex_guard, text, "STREET_ADDRESS") == [address]


@pytest.mark.parametrize("text", [
    "Windows 10, Linux and macOS are supported",
    "We met on 12 March, Paris was nice",
    "I have 3 cats and 2 dogs, Anna said",
    "Version 3.2 released in 2019, see notes",
])
def test_number_then_name_alone_is_not_an_address(regex_guard: PIIGuard, text: str) -> None:
    # the finder sees a weak "number words number, Place" shape, scored below the threshold...
    assert all(score < 0.4 for *_, score in find_street_addresses(text))
    # ...so without a context word such as "lives" or "address" nothing is flagged
    assert "STREET_ADDRESS" not in {f.kind for f in regex_guard.check(text, Context()).findings}


def test_weak_address_counts_with_a_context_word(regex_guard: PIIGuard) -> None:
    text = "Shelby Araujo lives at 87 Jakobi 69, Laane"
    assert _found(regex_guard, text, "STREET_ADDRESS") == ["87 Jakobi 69, Laane"]


@pytest.mark.parametrize(("text", "phone"), [
    ("How can we reach you? You can call 33 93 31", "33 93 31"),
    ("Moldova 73916\n92 34 70-Office", "92 34 70"),
    ("They're not answering at 51-16-34-25", "51-16-34-25"),
    ("Phone: 02.27.96.63.08", "02.27.96.63.08"),
    ("3732695155 fax", "3732695155"),
    ("WhatsApp +34 612 34 56 78 if late", "+34 612 34 56 78"),
    ("001-321-194-8268x4420 mobile", "001-321-194-8268x4420"),
])
def test_phone_formats(regex_guard: PIIGuard, text: str, phone: str) -> None:
    assert _found(regex_guard, text, "PHONE_NUMBER") == [phone]


def test_short_numbers_need_a_phone_word() -> None:
    assert find_phone_numbers("the score was 33 93 31")[0][2] < 0.4
    assert find_phone_numbers("call 33 93 31")[0][2] >= 0.4


@pytest.mark.parametrize("text", ["The refund is 250000.00 USD", '{"n": 100000.0, "m": 2500000.00}',
                                  "ratio 1234567.89"])
def test_an_amount_with_decimals_is_not_a_phone(regex_guard: PIIGuard, text: str) -> None:
    assert regex_guard.check(text, Context()).passed
    assert _found(regex_guard, "call 555.1234 or 0612.345678", "PHONE_NUMBER") == ["555.1234", "0612.345678"]


def test_a_timestamp_is_a_date_not_a_phone(regex_guard: PIIGuard) -> None:
    text = "When: 2013-03-14 12:53:39\nWhere: the club"
    v = regex_guard.check(text, Context())
    assert [(f.kind, text[f.start:f.end]) for f in v.findings] == [("DATE_TIME", "2013-03-14 12:53:39")]


@pytest.mark.parametrize(("text", "dates"), [
    ("born 5/19/1937.", ["5/19/1937"]),
    ("on 12 March 1990 at 9:05 pm", ["12 March 1990", "9:05 pm"]),
    ("March 12th, 1990 and May 2019", ["March 12th, 1990", "May 2019"]),
    ("2020-07-31T00:57:51Z ok", ["2020-07-31T00:57:51Z"]),
    ("call 02.27.96.63.08 or count 12 apples", []),
])
def test_find_dates(text: str, dates: list[str]) -> None:
    assert [text[s:e] for s, e, _ in find_dates(text)] == dates


def test_is_specific() -> None:
    for vague in ("this morning", "50 year old", "the 60s", "1965", "monthly", "today", "10th year"):
        assert not is_specific(vague), vague
    for specific in ("Friday", "12 March", "5/19/1937", "3 pm", "noon"):
        assert is_specific(specific), specific


def test_vague_ner_dates_are_dropped_unless_asked(ner_guard: PIIGuard) -> None:
    text = "Mr. Freeman is a 50 year old man. He arrived this morning and leaves on 12 March 1990."
    dates = _found(ner_guard, text, "DATE_TIME")
    assert dates == ["12 March 1990"]
    everything = PIIGuard(vague_dates=True)
    assert len(_found(everything, text, "DATE_TIME")) > 1


def test_spacy_org_is_an_organization(ner_guard: PIIGuard) -> None:
    text = "She has worked at Microsoft since she left the Bank of England."
    orgs = _found(ner_guard, text, "ORGANIZATION")
    assert "Microsoft" in orgs and any("Bank of England" in o for o in orgs)


def test_acronyms_are_not_organizations(ner_guard: PIIGuard) -> None:
    text = "Please block my credit card ASAP and send the new PIN by SMS."
    assert "ORGANIZATION" not in {f.kind for f in ner_guard.check(text, Context()).findings}


def test_organization_suffixes() -> None:
    text = "Invoices from Northwind Traders Ltd. and Acme Robotics GmbH; also frost llc."
    assert [text[s:e] for s, e, _ in find_organizations(text)] == [
        "Northwind Traders Ltd.", "Acme Robotics GmbH", "frost llc"]
    assert find_organizations("Calgary AB T2P 1J9") == []


@pytest.mark.parametrize("firm", ["Acme L.L.C.", "Foo e.V.", "Bar S.p.A.", "Baz S.A."])
@pytest.mark.parametrize("after", ["", " signed the lease.", ", and more", "."])
def test_a_suffix_ending_in_a_dot_ends_the_firm(firm: str, after: str) -> None:
    text = f"Contract with {firm}{after}"
    assert [text[s:e] for s, e, _ in find_organizations(text)] == [firm]  # (a full stop after it is the sentence's)


@pytest.mark.parametrize(("text", "name"), [
    ("Hello, this is Dr. Kent Jaworski. Who are you?", "Dr. Kent Jaworski"),
    ("mr. freeman is a 50 year old man", "mr. freeman"),
    ("My name is Tempeste", "Tempeste"),
    ("Her maiden name is Torres", "Torres"),
    ("Name:    Allen Akhtakhanov\nAddress: 12 Main St", "Allen Akhtakhanov"),
    ("Best regards,\nHelen Marsh", "Helen Marsh"),
    ("correct it to Sean Vizirov DVM?", "Sean Vizirov DVM"),
])
def test_names_by_form(text: str, name: str) -> None:
    assert name in [text[s:e] for s, e, _ in find_names(text)]


@pytest.mark.parametrize("text", ["Hi there, how are you", "Hello World!", "call me tomorrow",
                                  "Dear Sir, thanks"])
def test_greetings_without_names(text: str) -> None:
    assert find_names(text) == []


def test_regex_mode_finds_titled_names(regex_guard: PIIGuard) -> None:
    assert _found(regex_guard, "Please ask Dr. Priya Raman.", "PERSON") == ["Dr. Priya Raman"]


def test_places_after_cues() -> None:
    text = "He grew up in TRÄSLÖVSLÄGE and moved here from Paterna del Madera."
    assert [text[s:e] for s, e, _ in find_places(text)] == ["TRÄSLÖVSLÄGE", "Paterna del Madera"]


def test_ner_spans_stop_at_line_breaks(ner_guard: PIIGuard) -> None:
    text = "Date: 1984-06-15 09:13:24\nName: Crystal Grant\nPhone: 0688 777 97 84"
    people = _found(ner_guard, text, "PERSON")
    assert people == ["Crystal Grant"]


@pytest.mark.parametrize(("text", "address"), [
    ("The letter arrived at 01 4589 40th Street Suite 603 Calgary AB last night.",
     "01 4589 40th Street Suite 603 Calgary AB"),
    ("Please update the billing address with USS Napolitani\nFPO AP 70381 for this card",
     "USS Napolitani\nFPO AP 70381"),
    ("here's my address:\n\n19 pierre delannoyplaats 211 apt. 098 erwetegem united states",
     "19 pierre delannoyplaats 211 apt. 098 erwetegem united states"),
])
def test_more_address_forms(regex_guard: PIIGuard, text: str, address: str) -> None:
    assert _found(regex_guard, text, "STREET_ADDRESS") == [address]


@pytest.mark.parametrize("text", ["I bought 3 apples and 2 pears in room 5 yesterday",
                                  "we have 2 kids in unit 5 next door",
                                  "It is actual. I think so", "Steps: 1.Click the button 2.Save"])
def test_not_addresses_or_urls(regex_guard: PIIGuard, text: str) -> None:
    assert regex_guard.check(text, Context()).passed


@pytest.mark.parametrize("text, urls", [
    ("conn = psycopg2.connect(dsn); host db.internal", []),  # ".co" of ".connect", ".int" of ".internal"
    ("see example.com.", ["example.com"]),
    ("请访问www.example.com获取", ["www.example.com"]),  # no spaces in the script: a letter may follow
])
def test_a_domain_is_not_cut_out_of_a_word(regex_guard: PIIGuard, text: str, urls: list[str]) -> None:
    assert _found(regex_guard, text, "URL") == urls


def test_an_address_does_not_go_on_after_a_blank_line() -> None:
    # a unit-like "#55231" then a capitalised word made a two-part "address" across paragraphs
    text = "Subject: order #55231\n\nMy card was charged twice."
    assert find_street_addresses(text) == []
    # the same parts on consecutive lines still make one
    lines = "Ship to\n12 Rue du Bac\nParis"
    assert [lines[s:e] for s, e, _ in find_street_addresses(lines)] == ["12 Rue du Bac\nParis"]


def test_letterhead_lines_above_an_address(regex_guard: PIIGuard) -> None:
    text = ("Thanks for your order.\n\nPaula Bjelajac\nDemystdata\n11 Eriksbo Västergärde 98\n"
            " Suite 568\n ANGERED\n Mali 12345")
    found = {(f.kind, text[f.start:f.end]) for f in regex_guard.check(text, Context()).findings}
    assert ("PERSON", "Paula Bjelajac") in found and ("ORGANIZATION", "Demystdata") in found
    assert not any("Thanks" in value for _, value in found)  # a sentence ends the letterhead


@pytest.mark.parametrize("text", [
    "```\nprint('x')\n```\n12 Baker Street\nLondon NW1 6XE\nUnited Kingdom",
    "Ship to:\n```\n12 Baker Street\nLondon NW1 6XE\n```",
    "~~~\n~~~\n12 Baker Street\nLondon NW1 6XE",
    "Notes\n---\n12 Baker Street\nLondon NW1 6XE",
    "#42 ...\n12 Baker Street\nLondon NW1 6XE",
])
def test_a_fence_a_rule_or_a_line_without_letters_is_no_letterhead(regex_guard: PIIGuard, text: str) -> None:
    found = {(f.kind, text[f.start:f.end]) for f in regex_guard.check(text, Context()).findings}
    assert found == {("STREET_ADDRESS", text[text.index("12 Baker"):].removesuffix("\n```"))}


def test_a_letterhead_inside_a_fence_starts_after_it(regex_guard: PIIGuard) -> None:
    text = "```text\nJohn Smith\n12 Baker Street\nLondon NW1 6XE\n```\n"
    found = {(f.kind, text[f.start:f.end]) for f in regex_guard.check(text, Context()).findings}
    assert ("PERSON", "John Smith") in found and not any("`" in value for _, value in found)


def test_a_name_found_once_is_found_again(ner_guard: PIIGuard) -> None:
    text = "Kent Jaworski called. Later Jaworski called again and Kent hung up."
    people = _found(ner_guard, text, "PERSON")
    assert people.count("Jaworski") == 1 and "Kent" in people


def test_names_in_a_list_with_other_names(ner_guard: PIIGuard) -> None:
    text = "They had 6: Saidali, Elizabeth, Michael, Arthur, Brittany and Anthony."
    assert "Saidali" in _found(ner_guard, text, "PERSON")


def test_transcript_speakers_and_relatives() -> None:
    text = "Kalman: Who are you?\nJordan: I'm Mary's daughter."
    assert [text[s:e] for s, e, _ in find_names(text)] == ["Mary"]
    from guardlayer.guards.pii.people import find_speakers

    assert [text[s:e] for s, e, _ in find_speakers(text)] == ["Kalman", "Jordan"]
    assert find_speakers("Date: today\nNote: call back") == []
    assert find_speakers("Warning: one label is not a transcript") == []


def test_place_after_a_field_label() -> None:
    text = "When: 1993-01-04 14:56:41\nWhere: SAINT-PRIEST"
    assert [text[s:e] for s, e, _ in find_places(text)] == ["SAINT-PRIEST"]


def test_a_decade_is_not_a_house_number(regex_guard: PIIGuard) -> None:
    text = "During the 1990s, Simpletuition invested heavily; in the 80s, Acme grew."
    assert not any(r.entity_type == "STREET_ADDRESS" for r in regex_guard.analyze(text))
    assert find_street_addresses("Hauptstrasse 12a, 10115 Berlin")


def test_a_unit_word_is_not_part_of_a_name(regex_guard: PIIGuard) -> None:
    text = "Dr. Megan Sato Apt. 630 39 Rincon 9082"
    names = [text[s:e] for s, e, _ in find_names(text)]
    assert names == ["Dr. Megan Sato"]
    assert "PERSON" in {r.entity_type for r in regex_guard.analyze(text)}


@pytest.mark.parametrize(("text", "country"), [
    ("Who's coming to Democratic Republic of the Congo with me?", "Democratic Republic of the Congo"),
    ("i'm originally from burkina faso", "burkina faso"),
    ("SHIP TO BAHRAIN", "BAHRAIN"),
    ("She moved here from Saint Vincent and the Grenadines", "Saint Vincent and the Grenadines"),
])
def test_country_names(regex_guard: PIIGuard, text: str, country: str) -> None:
    assert ("LOCATION", country) in [(r.entity_type, text[r.start:r.end]) for r in regex_guard.analyze(text)]


def test_country_words_in_lower_case_are_words(regex_guard: PIIGuard) -> None:
    text = "we had roast turkey on china plates, then went for a jersey"
    assert not regex_guard.analyze(text)


def test_a_country_spacy_calls_an_organization_is_a_location(ner_guard: PIIGuard) -> None:
    text = "Cameroon was super fun to visit!"
    assert [(r.entity_type, text[r.start:r.end]) for r in ner_guard.analyze(text)] == [("LOCATION", "Cameroon")]


def test_a_person_named_like_a_country_stays_a_person(ner_guard: PIIGuard) -> None:
    text = "Jordan: I am here."
    assert ("PERSON", "Jordan") in [(r.entity_type, text[r.start:r.end]) for r in ner_guard.analyze(text)]
