import pytest

from guardlayer.guards.injection import InjectionGuard


@pytest.fixture(scope="session")
def guard() -> InjectionGuard:
    return InjectionGuard()
