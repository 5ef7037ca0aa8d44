"""Fixtures shared by the view tests: a logged-in curator and a restricted draft."""
from __future__ import annotations

from typing import Any

import pytest

from archive import models


@pytest.fixture()
def curator(auth: Any) -> Any:
    return auth.login("curator")


@pytest.fixture()
def draft(factory: Any) -> models.Testimony:
    """A restricted draft with a short transcript."""
    return factory.testimony(title="Crossing at night", access="restricted", status="draft", segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where were you born?"},
        {"start": 4, "end": 9, "speaker": "Narrator", "text": "In Hoeryong, by the river."},
    ])
