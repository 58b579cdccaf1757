"""Model lookups are remembered, and forgotten when `register_model` changes the table."""
from __future__ import annotations

import uuid

from guardlayer.tokens import models
from guardlayer.tokens.models import model_info, register_model


def test_a_registered_family_is_found_after_the_same_name_was_looked_up_unknown() -> None:
    family = f"acme-{uuid.uuid4().hex[:8]}"
    try:
        assert model_info(f"{family}-large-2025-01-01") is None  # looked up (and remembered) unknown
        register_model(family, context_window=32_000, input_price=1.0, output_price=2.0)
        info = model_info(f"{family}-large-2025-01-01")
        assert info is not None and info.context_window == 32_000
        register_model(family, context_window=64_000)
        assert model_info(f"{family}-large-2025-01-01").context_window == 64_000
    finally:
        models.MODELS.pop(family, None)
