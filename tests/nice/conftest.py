"""Fixtures for the NICE reader tests; helpers live in nice_support.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .nice_support import NICE_FIXTURES


@pytest.fixture(scope="session")
def nice_fixtures() -> Path:
    assert NICE_FIXTURES.is_dir(), f"NICE fixtures not found at {NICE_FIXTURES.resolve()}"
    return NICE_FIXTURES


@pytest.fixture
def fake_nice():
    from .nice_support import FakeNice

    server = FakeNice().start()
    yield server
    server.stop()


@pytest.fixture
def fake_time():
    from .nice_support import FakeTime

    return FakeTime()


@pytest.fixture
def nice_client(fake_nice, fake_time):
    from appraisal_impact.nice.client import NiceClient

    client = NiceClient(
        contact="sact-pipeline@example.nhs.uk",
        base_url=fake_nice.url,
        connect_timeout=2.0,
        read_timeout=0.3,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )
    yield client
    client.close()
