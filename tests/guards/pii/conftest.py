"""Shared guards: building the engine costs ~2 s, so each mode is built once per session."""
import pytest

from guardlayer.guards.pii import PIIGuard


@pytest.fixture(scope="session")
def ner_guard() -> PIIGuard:
    return PIIGuard()


@pytest.fixture(scope="session")
def regex_guard() -> PIIGuard:
    return PIIGuard(mode="regex")
