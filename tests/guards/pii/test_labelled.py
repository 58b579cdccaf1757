"""Values under keys that say what they are (`labelled`), alone and through the guard."""
import pytest

from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.labelled import _HEADS, STEMS, find_labelled, key_entity


def _found(text: str) -> list[tuple[str, str]]:
    return [(entity, text[s:e]) for s, e, _, entity in find_labelled(text)]


@pytest.mark.parametrize("key,entity", [
    ("name", "PERSON"), ("customer_name", "PERSON"), ("firstName", "PERSON"), ("Full name", "PERSON"),
    ("patient.name", "PERSON"), ("Customer's name", "PERSON"), ("SURNAME", "PERSON"),
    ("given name", "PERSON"), ("billing_address", "STREET_ADDRESS"), ("postcode", "STREET_ADDRESS"),
    ("City", "LOCATION"), ("date of birth", "DATE_TIME"), ("DOB", "DATE_TIME"),
    ("mobile", "PHONE_NUMBER"), ("contact-phone", "PHONE_NUMBER"), ("e-mail", "EMAIL_ADDRESS"),
    ("ssn", "US_SSN"), ("passport_no", "US_PASSPORT"), ("Licence number", "US_DRIVER_LICENSE"),
    ("IBAN", "IBAN_CODE"), ("account number", "US_BANK_NUMBER"), ("ipAddress", "IP_ADDRESS"),
    ("IPAddress", "IP_ADDRESS"),
])
def test_keys_name_their_entity(key: str, entity: str) -> None:
    assert key_entity(key)[0] == entity


def test_every_head_holds_a_stem() -> None:
    """Keys are only looked for where a stem is (a head without one would never be found)."""
    assert [head for head in _HEADS if not any(stem in head for stem in STEMS)] == []


@pytest.mark.parametrize("key", ["file_name", "company name", "username", "host_name", "the name",
                                 "email_template", "addressee", "names", "type", "description"])
def test_other_keys_name_nothing(key: str) -> None:
    assert key_entity(key) is None


@pytest.mark.parametrize("text,expected", [
    ('{"name": "Olivia Brown", "dob": "1984-03-02"}',
     [("PERSON", "Olivia Brown"), ("DATE_TIME", "1984-03-02")]),
    ("customer_name=Olivia Brown", [("PERSON", "Olivia Brown")]),
    ("Full name: Olivia Brown\nDate of birth: 2 March 1984",
     [("PERSON", "Olivia Brown"), ("DATE_TIME", "2 March 1984")]),
    ("first_name,last_name,phone\nOlivia,Brown,555-0100\nJan,Nowak,+48 601 200 300\n",
     [("PERSON", "Olivia"), ("PERSON", "Brown"), ("PHONE_NUMBER", "555-0100"),
      ("PERSON", "Jan"), ("PERSON", "Nowak"), ("PHONE_NUMBER", "+48 601 200 300")]),
    ("id\tsurname\tcity\n17\tNakamura\tSpringfield\n", [("PERSON", "Nakamura"), ("LOCATION", "Springfield")]),
    ("| Name | Email |\n|---|---|\n| Ana Silva | ana@corp.example |",
     [("PERSON", "Ana Silva"), ("EMAIL_ADDRESS", "ana@corp.example")]),
    ('2024-01-02 INFO login employee_name="Dana Kowalczyk" ip=10.0.0.7 ok',
     [("PERSON", "Dana Kowalczyk"), ("IP_ADDRESS", "10.0.0.7")]),
    ("patient_name: Xiomara Quist  ward: 4", [("PERSON", "Xiomara Quist")]),
    ("Emergency contact name: Bo Li", [("PERSON", "Bo Li")]),
    ("{name: Ana Silva, phone: 555 0100}", [("PERSON", "Ana Silva"), ("PHONE_NUMBER", "555 0100")]),
    ('{"passport": "X1234567", "iban": "DE89370400440532013000"}',
     [("US_PASSPORT", "X1234567"), ("IBAN_CODE", "DE89370400440532013000")]),
    ("Billing Address: Flat 2, 14 Rose Court, Leeds LS1 4AB", [("STREET_ADDRESS", "Flat 2, 14 Rose Court, Leeds LS1 4AB")]),
])
def test_values_under_keys_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(_found(text)) == sorted(expected)


@pytest.mark.parametrize("text", [
    "the name field is required", "enter your email address below", "Name: (leave blank)",
    "first_name,last_name,phone\n", "name = get_name()", "name: 12345", "Name: string",
    '{"name": null, "dob": "", "phone": "n/a", "email": "<redacted>", "city": "unknown"}',
    '{"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}',
    '{"properties": {"first_name": {"type": "string"}, "dob": {"type": "string"}}}',
    "name,type,required\nemail,string,true\nphone,string,false\n",
    "| Field | Description |\n|---|---|\n| email | The user's email |",
    "address: 0x7ffe5a3c\nhost: localhost", "cell: A1", "Phone: call later\nCity: tbd",
    "file_name: Report Final\nusername: Jsmith", "Hello, my name is Olivia, and I live here.",
    "The email: see below. Date of birth: unknown.", "IP: not set, account number: none",
    "first_name: Email\nlast_name: Phone", "\r: Ana Silva", "\x0b= Ana Silva\n: x",
])
def test_ordinary_texts_are_not_touched(text: str) -> None:
    assert _found(text) == []


def test_a_bare_name_counts_only_beside_another_personal_key() -> None:
    steps = "steps:\n  - name: Run Tests\n    run: pytest\n"
    assert _found(steps) == []
    assert _found('{"name": "Widget Pro", "price": 10}') == []
    assert _found('{"name": "Olivia Brown", "email": "olivia@example.org"}')[0] == ("PERSON", "Olivia Brown")
    # a key whose value does not count is no evidence
    assert _found('{"name": "Olivia Brown", "email": "n/a"}') == []


def test_values_stop_at_the_next_key_and_the_line_end() -> None:
    text = "customer_name=Ana Silva user_id=7 note=ok\nsurname: Quist\n"
    assert _found(text) == [("PERSON", "Ana Silva"), ("PERSON", "Quist")]


def test_rows_end_at_a_line_of_another_shape() -> None:
    text = "surname,city\nQuist,Leeds\n\nSmith, this is prose now\n"
    assert _found(text) == [("PERSON", "Quist"), ("LOCATION", "Leeds")]


@pytest.mark.parametrize("mode", ["regex", "ner"])
def test_the_guard_scrubs_labelled_values(mode: str, regex_guard: PIIGuard, ner_guard: PIIGuard) -> None:
    guard = regex_guard if mode == "regex" else ner_guard
    text = 'log: customer_name="Zephyrine Abernathy" surname=Quill passport=X1234567'
    found = {(r.entity_type, text[r.start:r.end]) for r in guard.analyze(text)}
    assert {("PERSON", "Zephyrine Abernathy"), ("PERSON", "Quill"), ("US_PASSPORT", "X1234567")} <= found


def test_the_guard_respects_its_entity_list() -> None:
    guard = PIIGuard(mode="regex", entities=["US_PASSPORT"])
    text = "customer_name=Zephyrine Abernathy passport=X1234567"
    assert [(r.entity_type, text[r.start:r.end]) for r in guard.analyze(text)] == [("US_PASSPORT", "X1234567")]


def test_a_time_out_escapes_so_the_check_fails_closed() -> None:
    with pytest.raises(TimeoutError):
        find_labelled("customer_name: Ana Silva, " * 40000, timeout=1e-6)


def test_a_label_with_a_dot_and_a_run_of_separators() -> None:
    assert [e for *_, e in find_labelled("Tel.: 555-010-0199, Name: Ann Lee")] == ["PHONE_NUMBER", "PERSON"]
    assert find_labelled(":" * 5000 + "=" * 5000) == []
