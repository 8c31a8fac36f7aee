from __future__ import annotations

from typing import Any

import pytest

from tests.monitoring.scraping import TOKEN


@pytest.fixture
def metrics_token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN
