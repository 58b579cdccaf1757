"""Code, CI files, configuration and logs: what is not personal data there stays (a CI step's
name, a memory or listen address, a placeholder, an attribute in code, a year after "PIN"),
and the personal data written beside it in the same kinds of text is still found."""
import random

import pytest

from guardlayer.guards.pii import PIIGuard

NOT_PERSONAL = [  # (text, entity, value): value is not found as entity
    ("jobs:\n  test:\n    steps:\n      - name: Run Tests\n        run: pytest -q\n", "PERSON", "Run Tests"),
    ("- name: Set up Python\n  uses: actions/setup-python@v5\n", "PERSON", "Set"),
    ("name: Build\non: [pull_request]\n", "PERSON", "Build"),
    ("name: Run Tests\nemail: maintainer@acme-corp.com\n", "PERSON", "Run Tests"),
    ("Name: Unknown\nPhone: N/A", "PERSON", "Unknown"),
    ("City: TBD", "LOCATION", "TBD"),
    ("Segmentation fault at address: 0x7ffe5a3c\n", "STREET_ADDRESS", "0x7ffe5a3c"),
    ("listen address: 0.0.0.0:8080", "STREET_ADDRESS", "0.0.0.0:8080"),
    ("host: db.internal\naddress: 10.1.2.3\n", "STREET_ADDRESS", "10.1.2.3"),
    ("    address = Column(String(200))\n", "STREET_ADDRESS", "Column(String(200))"),
    ("panic: addr=0x0 pc=0x4a2b3c]\n", "STREET_ADDRESS", "0x0 pc=0x4a2b3c]"),
    ("bind_address = 127.0.0.1\n", "IP_ADDRESS", "127.0.0.1"),
    ("redis-server --bind 0.0.0.0 --port 6379", "IP_ADDRESS", "0.0.0.0"),
    ("name = user.name", "URL", "user.name"),
    ("def to_dict(self):\n    return {'email': self.email}\n", "URL", "self.email"),
    ("self.email.com = None", "URL", "self.email.com"),
    ("logger.info('started')", "URL", "logger.info"),
    ("print(f'Hello {args.name}')", "URL", "args.name"),
    ("if u.Name == \"\" {\n\treturn errors.New(\"empty\")\n}", "URL", "u.Name"),
    ("SELECT c.name FROM customers c", "URL", "c.name"),
    ('  File "/home/runner/work/app/main.py", line 42, in <module>', "URL", "main.py"),
    ("    at formatUser (/app/src/utils/format.js:18:27)", "DATE_TIME", "18:27"),
    ("GET /api HTTP/1.1\nHost: api.example.com\nAccept: application/json\n", "PERSON", "Host"),
    ("The PIN 2024 edition of the handbook adds a chapter.", "SECRET", "2024"),
    ('cidr_blocks = ["0.0.0.0/0"]', "IP_ADDRESS", "0.0.0.0/0"),
    ("To: Dev Team\nSubject: Code freeze on Friday\n", "PERSON", "Dev Team"),
    ("Package: nginx\nVersion: 1.24.0\nMaintainer: Ubuntu Developers\n", "PERSON", "Maintainer"),
    ("jobs:\n  release:\n    name: Publish Package\n    steps:\n      - name: Build Wheel\n",
     "PERSON", "Build Wheel"),
    ("- name: Install Dependencies\n  run: npm ci\n", "ORGANIZATION", "Install Dependencies"),
    ("version: '3.8'\nservices:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n",
     "ORGANIZATION", "POSTGRES_PASSWORD"),
    # numbers: the fraction of a decimal is no card (its 16 digits pass Luhn), bytes in hex are
    # no phone number, ten digits that pass the NHS checksum are no NHS number without context
    ("mean = 3.4111111111111111, sd = 0.2", "CREDIT_CARD", "4111111111111111"),
    ('{"lat": 48.5500000000000004, "lon": 2.35}', "CREDIT_CARD", "5500000000000004"),
    ("build 1.2.4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("00000010  48 65 6c 6c 6f 20 31 32 33 34 35 36 37 38 39 30  |Hello 1234567890|",
     "PHONE_NUMBER", "20 31 32 33 34 35"),
    ("payload: 01 02 03 04 05 06 07 08 09 10 11 12", "PHONE_NUMBER", "01 02 03 04 05 06"),
    ("frame: 7e 12 34 56 78 90 0d", "PHONE_NUMBER", "12 34 56 78 90"),
    ("Totals per store: 4010232137 and 7458349211.", "UK_NHS", "4010232137"),
    ("invoice_id,amount\n1234567881,19.99\n", "UK_NHS", "1234567881"),
    # a context word inside another word ("lic" in "duplicates", "replicated") is none
    ("Which order numbers are duplicates? 4716324592714536", "US_DRIVER_LICENSE", "4716324592714536"),
    ("Replicated rows: 4716324592714536", "US_DRIVER_LICENSE", "4716324592714536"),
]

NAMES_A_SECRET = [  # code and docs that name a secret without giving one
    "password = input()\nPASSWORD_MIN_LENGTH = 12\n",
    "def login(user: str, password: str) -> None:\n",
    'api_key = os.environ["API_KEY"]\ntoken = get_token()\n',
    '{"user": "ana", "password": null, "api_key": "<your key>"}',
    "Set DB_PASSWORD in .env and restart; see `PGPASSWORD=` in the docs.",
    'headers = {"Authorization": f"Bearer {token}"}',
]

PERSONAL = [  # (text, entity, value): a finding of entity holds value, in both modes
    ("name: Olivia Brown\naddress: 12 Elm Row, Springfield\nphone: 555-867-5309\n", "PERSON", "Olivia Brown"),
    ("Name: Allen Akhtakhanov\n", "PERSON", "Allen Akhtakhanov"),
    ("Author: Priya Natarajan <priya.natarajan@gmail.com>\n", "EMAIL_ADDRESS", "priya.natarajan@gmail.com"),
    ("Kalman: Who are you?\nJordan: I'm the new tenant.\n", "PERSON", "Kalman"),
    ("ip=81.2.69.142 status=402", "IP_ADDRESS", "81.2.69.142"),
    ("Full name: Zephyrine Abernathy-Quill\nCity: Reykjavik\n", "LOCATION", "Reykjavik"),
    ("Address: 350 Fifth Avenue, New York, NY 10118", "STREET_ADDRESS", "350 Fifth Avenue, New York, NY 10118"),
    ("Address:\n12 rue de la Paix (2e étage), 75002 Paris", "STREET_ADDRESS", "12 rue de la Paix (2e étage), 75002 Paris"),
    ("my zip code is 12345", "STREET_ADDRESS", "12345"),
    ("address: 10.1.2.3", "IP_ADDRESS", "10.1.2.3"),
    ("2024-03-12T08:15:30Z INFO reset requested from 203.0.113.45\n", "IP_ADDRESS", "203.0.113.45"),
    ("his site is john.smith.name and ours example.name", "URL", "john.smith.name"),
    ("his site is john.smith.name and ours example.name", "URL", "example.name"),
    ("see www.foo.io, or foo.io/path", "URL", "www.foo.io"),
    ("see www.foo.io, or foo.io/path", "URL", "foo.io/path"),
    ("follow x.com for news", "URL", "x.com"),
    ("PIN 4471", "SECRET", "4471"),
    ("My PIN is 2024 and my card ends in 4242.", "SECRET", "2024"),
    ("DB_HOST=db.prod.internal\nDB_PASSWORD=Xk9#mQ2!vR7pL\n", "SECRET", "Xk9#mQ2!vR7pL"),
    ("DB_HOST=db\nDB_PASSWORD=\"S3cretPass!\"\n", "SECRET", "S3cretPass!"),
    ("export PGPASSWORD='c0rrect-h0rse'\npsql -h db", "SECRET", "c0rrect-h0rse"),
    ("PGPASSWORD=S3cretPass! psql -h db", "SECRET", "S3cretPass!"),
    ("SMTP_HOST=mail\nSMTP_PASS=mailpass99\n", "SECRET", "mailpass99"),
    ("REDIS_URL=redis://:r3disPass@cache:6379/0", "SECRET", "r3disPass"),
    ("GET /v1 HTTP/1.1\nAuthorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=\n", "SECRET", "YWRtaW46c3VwZXJzZWNyZXQ="),
    ("client = Client(api_key = '3f9a1c07d2e4b5a83f9a1c07d2e4b5a8')", "SECRET", "3f9a1c07d2e4b5a83f9a1c07d2e4b5a8"),
    ("    at 10:30 the job restarted", "DATE_TIME", "10:30"),
    ("Time:14:30", "DATE_TIME", "14:30"),
    # and their lookalikes that are personal data
    ("card 4111111111111111 expires 08/27", "CREDIT_CARD", "4111111111111111"),
    ('{"card": 4111111111111111.0}', "CREDIT_CARD", "4111111111111111"),
    ("Appelez-moi au 06 12 34 56 78, merci.", "PHONE_NUMBER", "06 12 34 56 78"),
    ("Phone: 12 34 56 78 90\n", "PHONE_NUMBER", "12 34 56 78 90"),
    ("Her NHS number is 4010232137.", "UK_NHS", "4010232137"),
    ("patient ref 401 023 2137", "UK_NHS", "401 023 2137"),
    ("Number: 943 476 5919", "UK_NHS", "943 476 5919"),
    ("driver's license: 4716324592714536", "US_DRIVER_LICENSE", "4716324592714536"),
    ("Lic# 4716324592714536", "US_DRIVER_LICENSE", "4716324592714536"),
]


def _found(guard: PIIGuard, text: str) -> set[tuple[str, str]]:
    return {(r.entity_type, text[r.start:r.end]) for r in guard.analyze(text)}


@pytest.mark.parametrize("mode", ["regex", "ner"])
@pytest.mark.parametrize(("text", "entity", "value"), NOT_PERSONAL, ids=[t[:30] for t, _, _ in NOT_PERSONAL])
def test_what_names_no_one_in_technical_text_is_not_found(
        request: pytest.FixtureRequest, mode: str, text: str, entity: str, value: str) -> None:
    guard = request.getfixturevalue(f"{mode}_guard")
    assert value in text
    assert (entity, value) not in _found(guard, text)


@pytest.mark.parametrize("mode", ["regex", "ner"])
@pytest.mark.parametrize(("text", "entity", "value"), PERSONAL, ids=[t[:30] for t, _, _ in PERSONAL])
def test_personal_data_in_technical_text_is_found(
        request: pytest.FixtureRequest, mode: str, text: str, entity: str, value: str) -> None:
    guard = request.getfixturevalue(f"{mode}_guard")
    assert any(e == entity and value in v for e, v in _found(guard, text))


@pytest.mark.parametrize("mode", ["regex", "ner"])
@pytest.mark.parametrize("text", NAMES_A_SECRET, ids=[t[:30] for t in NAMES_A_SECRET])
def test_code_that_names_a_secret_has_none(request: pytest.FixtureRequest, mode: str, text: str) -> None:
    guard = request.getfixturevalue(f"{mode}_guard")
    assert [v for e, v in _found(guard, text) if e == "SECRET"] == []


@pytest.mark.parametrize("mode", ["regex", "ner"])
def test_a_hex_dump_holds_no_personal_data(request: pytest.FixtureRequest, mode: str) -> None:
    """Bytes in hex, 16 to a line: pairs of decimal digits are no phone number, and NER's
    guesses on bytes ("ec", "b5 f2", some cut at a line's end) no names."""
    rnd = random.Random(7)
    dump = "\n".join(f"{16 * i:08x}  " + " ".join(f"{rnd.randrange(256):02x}" for _ in range(16))
                     for i in range(120))
    assert request.getfixturevalue(f"{mode}_guard").analyze(dump) == []
