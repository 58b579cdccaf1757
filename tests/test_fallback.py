"""Fallback templates: a template that cannot be rendered is refused when it is built."""
from __future__ import annotations

import pytest

from guardlayer import Template
from guardlayer.context import Context, scope
from guardlayer.errors import ConfigError


@pytest.mark.parametrize("text", ["Sorry {user, we could not answer", "Sorry {user} }",
                                  "Sorry {user!x}", "Sorry {user:d}", "Sorry {user:{reason}x}"])
def test_a_broken_template_is_a_config_error_naming_it(text):
    with pytest.raises(ConfigError) as info:
        Template(text)
    assert repr(text) in str(info.value) and not isinstance(info.value.__cause__, ConfigError)


def test_plain_names_render_and_unknown_ones_are_blank():
    with scope(user="ann", tags={"plan": "pro"}):
        ctx = Context()
    text = Template("{user}/{plan}/{reason}/{other}/{{x}}/{user!r:>6}").render(ctx, "why")
    assert text == "ann/pro/why//{x}/ 'ann'"
