"""The field condition language and JSON paths."""
from __future__ import annotations

import pytest

from guardlayer.guards.policy.conditions import parse_condition, path_under
from guardlayer.guards.policy.paths import JsonPath, drop

DATA = {"refund": {"amount": 120}, "order": {"total": 100, "id": "A-1"}, "region": "EU",
        "flag": True, "items": [{"p": 1}, {"p": 5}], "odd.key": 3, "none": None}


@pytest.mark.parametrize("text,segments", [
    ("a", ("a",)), ("a.b.c", ("a", "b", "c")), ("items[0].p", ("items", 0, "p")),
    ('x["odd.key"]', ("x", "odd.key")), ("items[-1]", ("items", -1)),
])
def test_path_parse(text, segments):
    assert JsonPath.parse(text).segments == segments


@pytest.mark.parametrize("bad", ["", "a..b", "a.", ".a", "a[x]", "a b", "a[0]b"])
def test_bad_paths_raise(bad):
    with pytest.raises(ValueError):
        JsonPath.parse(bad)


def test_path_find_and_drop():
    assert [v for _, v in JsonPath.parse("items[*].p").find(DATA)] == [1, 5]
    assert JsonPath.parse("order.missing").find(DATA) == []
    assert JsonPath.parse('["odd.key"]').find(DATA) == [(("odd.key",), 3)]
    dropped = drop(DATA, ("order", "id"))
    assert dropped["order"] == {"total": 100} and DATA["order"]["id"] == "A-1"


@pytest.mark.parametrize("cond,expected", [
    ("refund.amount <= order.total", False),
    ("refund.amount > order.total", True),
    ("order.total >= 100", True),
    ("order.total < 100", False),
    ('region == "EU"', True),
    ("region == 'US'", False),
    ("region != 'US'", True),
    ("flag == true", True),
    ("flag == 1", False),             # bools are not numbers
    ("region in [EU, UK]", True),
    ("region not in [EU, UK]", False),
    ("refund exists", True),
    ("price absent", True),
    ("none absent", True),            # null counts as absent
    ("order.id matches '^A-\\d$'", True),
    ("order.id not matches '^B'", True),
    ("missing <= 3", False),          # comparisons on absent paths are false
    ("region < 3", False),            # type mismatch is false, not an error
    ({"region": "EU"}, True),
    ({"region": "EU", "flag": False}, False),
    ({"region": ["EU", "UK"]}, True),
    ({"order.total": {"ge": 50, "lt": 101}}, True),
    ({"refund.amount": {"le": {"ref": "order.total"}}}, False),
    ({"any": ["price exists", "region == 'EU'"]}, True),
    ({"all": ["price exists", "region == 'EU'"]}, False),
    ({"not": "price exists"}, True),
    (["region == 'EU'", "refund exists"], True),
])
def test_conditions(cond, expected):
    assert parse_condition(cond).holds(DATA) is expected


@pytest.mark.parametrize("bad,msg", [
    ("region", "cannot read condition"),
    ("region ~ 3", "cannot read condition"),
    ("region in 3", "needs a list"),
    ("sku matches '('", "bad regex"),
    ("price exists now", "nothing may follow"),
    ("price <=", "missing a value"),
    ({"price": {"bogus": 1}}, "unknown operator"),
    ({"price": {"exists": False}}, "write 'exists: true'"),
    ({"any": []}, "non-empty list"),
    (3, "a condition is a string"),
])
def test_bad_conditions_say_why(bad, msg):
    with pytest.raises(ValueError, match=msg):
        parse_condition(bad)


@pytest.mark.parametrize("path,ok", [
    ("reports/a.txt", True), ("/srv/data/x", True), ("./x/../y", True), ("/srv/data", True),
    ("../etc/passwd", False), ("/etc/passwd", False), ("/srv/data/../secret", False),
    ("/srv/database/x", False), ("reports/../../x", False), ("..\\..\\windows", False),
    ("C:\\Windows\\system32", False), ("~/.ssh/id_rsa", False), ("a\x00b", False),
    ("file:///etc/passwd", False), ("", False),
])
def test_path_under_root(path, ok):
    assert path_under(path, "/srv/data") is ok
