"""The estimate of emoji with a variation selector (U+FE0F, U+FE0E) and of symbols that are one
token after a space: the selector cost its 3 UTF-8 bytes (``❤️`` 6, true 1-3), and ``₹ № ⇒ ≤ ≥
✓ ❤`` 3 each where both encodings spend one after a space. The estimate stays an upper bound."""
from __future__ import annotations

import pytest

from guardlayer.tokens import count, counter_for

TRUE = [counter_for(encoding=name) for name in ("cl100k_base", "o200k_base")]

REPLIES = [
    "❤️❤️❤️❤️❤️ thank you so much!!! ❤️❤️❤️ you are the best ❤️",
    "good morning ☀️☀️ coffee time ☕️☕️ let's go ✨✨✨ ⭐️⭐️⭐️⭐️⭐️ 5 stars ✌️✌️",
    "\n".join(["✔️ bought milk", "✔️ paid rent", "⚠️ call mum", "❤️ date night", "☑️ gym"] * 4),
    "see ☎︎ or ✉︎ for help ↩︎ back ☀︎ sun",
]


@pytest.mark.parametrize("text", REPLIES)
def test_emoji_with_a_selector_are_bounded_not_over_counted(text: str) -> None:
    estimate = count(text, "mystery-model")
    most = max(counter.count(text) for counter in TRUE)
    assert estimate.upper >= most
    assert estimate.tokens <= 1.35 * most


@pytest.mark.parametrize("symbol", "₹№⇒≤≥✓❤")
def test_a_symbol_of_one_token_after_a_space_costs_one(symbol: str) -> None:
    spaced = " ".join(f"a {symbol} b" for _ in range(20))
    tight = " ".join(f"a{symbol}b" for _ in range(20))
    assert count(spaced, "mystery-model").tokens == max(counter.count(spaced) for counter in TRUE)
    assert count(tight, "mystery-model").upper >= max(counter.count(tight) for counter in TRUE)
