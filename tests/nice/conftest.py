"""Fixtures for the NICE reader tests; helpers live in nice_support.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# pyproject.toml sets no pytest ``pythonpath`` and the project is not installed in the venv, so
# ``.venv/bin/pytest`` cannot import the package from the repo root. Until that is fixed there
# (``pythonpath = ["."]`` or ``pip install -e .``), make the repo root importable for these tests.
if importlib.util.find_spec("appraisal_impact") is None:
    sys.path.insert(0, str(REPO_ROOT))

from nice_support import NICE_FIXTURES  # noqa: E402


@pytest.fixture(scope="session")
def nice_fixtures() -> Path:
    assert NICE_FIXTURES.is_dir(), f"NICE fixtures not found at {NICE_FIXTURES.resolve()}"
    return NICE_FIXTURES
