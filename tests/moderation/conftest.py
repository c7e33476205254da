"""Moderation tests run with the pipeline on (the suite's settings switch it off)."""

from __future__ import annotations

import pytest

from rostra.config import Settings
from tests.comments.conftest import alice, bob, site  # noqa: F401 (fixtures)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"moderation_pipeline": True})
