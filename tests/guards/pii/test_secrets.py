import pytest

from guardlayer.secrets import PATTERNS, SECRET, find_secrets

CASES = [
    ("key AKIAIOSFODNN7EXAMPLE here", "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("token ghp_" + "a1" * 18 + " ok", "github_token", "ghp_" + "a1" * 18),
    ("use sk-proj-abcdefghijklmnopqrstuvwxyz123", "openai_key", "sk-proj-abcdefghijklmnopqrstuvwxyz123"),
    ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "google_api_key", "AIzaSyD-1234567890abcdefghijklmnopqrstu"),
    ("xoxb-123456789012-abcdefghijkl", "slack_token", "xoxb-123456789012-abcdefghijkl"),
    ("db postgres://admin:s3cr3tPass@db.example.com:5432/app", "url_password", "s3cr3tPass"),
    ("Server=x;User Id=sa;Password=Hunter2!;", "kv_password", "Hunter2!"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
    ("my password is Summer2024!", "said_password", "Summer2024!"),
    ("pw: hunter2", "said_password", "hunter2"),
    ('the wifi password is "correct horse"', "said_password", "correct horse"),
    ("Password: Tr0ub4dor&3.", "said_password", "Tr0ub4dor&3"),
    ("passcode 4471", "said_password", "4471"),
    ("Your PIN is 4471, keep it safe", "said_password", "4471"),
    ('{"user": "ana", "password": "letmein"}', "said_password", "letmein"),
    ("PASSPHRASE = 'purple monkey dishwasher'", "said_password", "purple monkey dishwasher"),
    ("The password was: hunTer", "said_password", "hunTer"),
    ("DB_PASSWORD=Xk9#mQ2!vR7pL", "kv_password", "Xk9#mQ2!vR7pL"),
    ("PIN 4471", "said_password", "4471"),
    ("PIN 2024", "said_password", "2024"),
    ("my PIN is 2024", "said_password", "2024"),
    ("PIN 2024 and the card", "said_password", "2024"),
    ("the PIN 1234 policy", "said_password", "1234"),
    ("My PIN 4471.", "said_password", "4471"),
    ("card PIN 0092, then the code", "said_password", "0092"),
    # .env, shell and config lines: a prefixed name, a quoted value (taken without its quotes)
    ('DB_PASSWORD="S3cretPass!"', "kv_password", "S3cretPass!"),
    ("DB_PASSWORD='S3cretPass!'", "kv_password", "S3cretPass!"),
    ("PGPASSWORD=S3cretPass!", "kv_password", "S3cretPass!"),
    ("export PGPASSWORD='c0rrect-h0rse'", "kv_password", "c0rrect-h0rse"),
    ("MYSQLPASSWORD=toor1234", "kv_password", "toor1234"),
    ("MYSQL_PWD=toor1234", "kv_password", "toor1234"),
    ("SMTP_PASS=mailpass99", "kv_password", "mailpass99"),
    ("SMTP_PASSWD = 'two words'", "kv_password", "two words"),
    ("REDIS_URL=redis://:r3disPass@cache:6379/0", "url_password", "r3disPass"),
    ("Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=", "authorization_header", "YWRtaW46c3VwZXJzZWNyZXQ="),
    ('curl -H "Authorization: Basic dXNlcjpwYXNz" https://api.example.com', "authorization_header",
     "dXNlcjpwYXNz"),
    ("Authorization: Bearer 3f9a1c07d2e4b5a83f9a1c07d2e4b5a8", "authorization_header",
     "3f9a1c07d2e4b5a83f9a1c07d2e4b5a8"),
    ('api_key = "3f9a1c07d2e4b5a83f9a1c07d2e4b5a8"', "kv_token", "3f9a1c07d2e4b5a83f9a1c07d2e4b5a8"),
    ("secret_key: 'a8Xk29slQp77'", "kv_token", "a8Xk29slQp77"),
    ("access_token=ya8Xk29slQp77zz&user=5", "kv_token", "ya8Xk29slQp77zz"),
    ("SECRET_KEY = 'django-insecure-8x$w!2q@z#k9v^m3p&r7t*y1u(i)o0'", "kv_token",
     "django-insecure-8x$w!2q@z#k9v^m3p&r7t*y1u(i)o0"),
    ('{"client_secret": "9f8e7d6c5b4a3f2e1d0c"}', "kv_token", "9f8e7d6c5b4a3f2e1d0c"),
    ("CSRF token: a8f5f167f44f4964e6c998dee827110c", "kv_token", "a8f5f167f44f4964e6c998dee827110c"),
]

NOT_PASSWORDS = [
    "password is required", "Password is incorrect, try again.", "the password policy says 8+",
    "reset your password", "Password: ********", "password: <redacted>", "Password: [REDACTED]",
    "Your password is too short.", "your pin is wrong", "the password is case-sensitive",
    "passwords: must be at least 8 characters", "password is at least 12 characters",
    "password: ${DB_PASSWORD}", "password: {{ vault_password }}", "password = get_password()",
    "password = os.environ['DB_PASSWORD']", "password = config.password", "password = db_password",
    "pwd: /home/olivia", "password: https://example.com/reset", '"password": {"type": "string"}',
    '"password": null', "password: N/A", 'password: "********"', "Password: xxxxxxxx",
    "pin: 13 on the GPIO header", "the PIN number is on the card", 'password: "<your password>"',
    "the password 2024 policy", "The PIN 2024 edition of the handbook", "pin 1999 model",
    "MAIL_PASSWORD=null", "MAIL_PASSWORD=null\nMAIL_HOST=smtp",
    "pin 12.04 of the connector", "PIN 1234,5 mm spacing", "pin 2024/25 season",
    # code and documentation that names a secret without giving one
    "password = input()", "password: str", "PASSWORD_MIN_LENGTH = 12", 'api_key = os.environ["API_KEY"]',
    "token = get_token()", "set DB_PASSWORD in .env", "Set `DB_PASSWORD=` in your .env file",
    "DB_PASSWORD=\nDB_HOST=db", 'api_key = "your-api-key-here"', 'API_KEY="YOUR_API_KEY"', "token: str",
    "Authorization: Bearer <token>", "Authorization: Bearer $TOKEN", "Authorization: Bearer ${TOKEN}",
    "Authorization: Bearer YOUR_TOKEN", '"Authorization": f"Bearer {token}"', 'Authorization: Basic realm="Access"',
    "max_tokens = 1024", "num_tokens: 12345678", "token = settings.API_TOKEN", "api_key: str = Field(...)",
    "PASSWORD=$(cat /run/secrets/pw)", "PASSWORD=$DB_PASS", "the token is valid for 30 minutes",
    'secret: "********"', 'api_key = ""', 'cache_key = "user:123:profile"', "token_expiry = 3600",
    '"access_token": "<ACCESS_TOKEN>"', "bypass=enabled1", "compass = 'N45W'", "token: 2024-01-01",
    "secret = os.getenv('SECRET')", "PASSWORD_FILE=/run/secrets/db", "token=process.env.TOKEN",
    "Basic Training starts Monday 9am",
]


@pytest.mark.parametrize("text,pattern_id,secret", CASES)
def test_finds_each_kind_with_exact_span(text: str, pattern_id: str, secret: str) -> None:
    found = find_secrets(text)
    assert [(f.kind, f.detail) for f in found] == [(SECRET, pattern_id)]
    assert text[found[0].start:found[0].end] == secret


def test_ordinary_text_has_no_secrets() -> None:
    text = ("The quick brown fox visited https://example.com/docs?id=42 and wrote "
            "password reset instructions for ACME-2024-ZX in skeleton-key style.")
    assert find_secrets(text) == []


@pytest.mark.parametrize("text", NOT_PASSWORDS)
def test_words_about_passwords_are_no_password(text: str) -> None:
    assert find_secrets(text) == []


def test_pattern_ids_are_unique() -> None:
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))


def test_findings_sorted_and_non_overlapping() -> None:
    text = "a AKIAIOSFODNN7EXAMPLE b ghp_" + "x" * 36 + " c"
    found = find_secrets(text)
    assert [f.detail for f in found] == ["aws_access_key_id", "github_token"]
    assert found[0].end <= found[1].start


def _without_hints() -> list:
    from dataclasses import replace
    return [replace(p, hints=(), chunk=0) for p in PATTERNS]


def test_hints_never_change_what_is_found() -> None:
    """The literal pre-checks only skip regexes that cannot match: the same findings with and
    without them, on every example embedded in prose, in mixed case and glued to other text."""
    texts = [t for t, _, _ in CASES]
    texts += [f"Here: {t}. And more prose around it, with words." for t in texts]
    texts += [t.upper() for t in texts] + [t.replace(" ", "\n") for t in texts]
    texts += ["AWS Secret Key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
              "AccountKey=" + "A" * 88 + "==", "PWD = hunter22;", "paſſword=hunter22",
              "x" * 30 + "sk_live_" + "a" * 20, "see https://hooks.slack.com/services/T0/B1/abc",
              "db pg://a\x1cb:secretpw@host", "u ab://c:d@e f"]
    bare = _without_hints()
    for text in texts:
        assert find_secrets(text) == find_secrets(text, bare), text


def test_hints_are_literals_of_every_match() -> None:
    # each shipped example is found through its hints (a pattern whose hint were wrong would
    # be skipped and the example missed)
    for text, pattern_id, _ in CASES:
        pat = next(p for p in PATTERNS if p.id == pattern_id)
        assert [f.detail for f in find_secrets(text, [pat])] == [pattern_id]


# config values under a secret's, a token's or a password's name that are names, switches or
# placeholders, not secrets: a token or key must look random (`looks_random`), a password not be a switch
NOT_SECRETS_UNDER_A_NAME = [
    "secret: prod-db-2024", "token: none", "secret_name: my-secret", "api_key_header: X-API-Key",
    "token_type: bearer", "secret: ${VAULT_SECRET}", "password_policy: strong", "db_token: v2-east-1",
    "secret: release-2024-q3", "token: user-123", "access_key: v1.2.3-beta", "secret: k8s-prod-west2",
    'secretName: "app-tls-2024"', "client_secret: MyService2", "signing_key=model-h264-v2",
    "password_policy=strong", "ALLOW_EMPTY_PASSWORD=yes", "first_pass=true", "SMTP_PASS=disabled",
    "password = False", "secret: eu-west-1/prod", "token: 2024q3-report",
]

# secrets under those names, each of them found
SECRETS_UNDER_A_NAME = [
    ("secret: p4ssw0rd-x9", "p4ssw0rd-x9"),
    ("token: 550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000"),
    ("SECRET=Zx9!kQ2@pL", "Zx9!kQ2@pL"),
    ("token: a1b2c3d4e5f6", "a1b2c3d4e5f6"),
    ("api_key=AbC123xYz789", "AbC123xYz789"),
    ("client_secret: 'G7hT-2kLq-99Zp'", "G7hT-2kLq-99Zp"),
    ("auth_token: 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),
    ("token: dGhpc2lzYXNlY3JldDEyMw", "dGhpc2lzYXNlY3JldDEyMw"),
    ("master_key: 1f2e3d4c5b6a", "1f2e3d4c5b6a"),
    ("secret: prod-db-9fK2xQ7m", "prod-db-9fK2xQ7m"),
    ("DB_PASSWORD=prod-db-2024", "prod-db-2024"),  # under a password's own name a name-like value is one
    ("password=changeme", "changeme"),
    ("signing_key: Welcome1", "Welcome1"), ("master_key=Password1", "Password1"),
    ("app_key: Qwerty123", "Qwerty123"), ("private_key = 'dragon2023'", "dragon2023"),
    ("token=abcdef1234", "abcdef1234"), ("secret: letmein123", "letmein123"),
    ("api_key=Summer2024", "Summer2024"),  # weak secrets are secrets all the same
]


@pytest.mark.parametrize("text", NOT_SECRETS_UNDER_A_NAME)
def test_names_switches_and_placeholders_under_a_secrets_name_are_no_secret(text: str) -> None:
    assert find_secrets(text) == []
    assert find_secrets(f"config:\n  {text}\n  region: eu") == []


@pytest.mark.parametrize("text,secret", SECRETS_UNDER_A_NAME)
def test_random_values_under_a_secrets_name_are_found(text: str, secret: str) -> None:
    found = find_secrets(f"config:\n  {text}\n  region: eu")
    assert [f.text for f in found] == [secret]
