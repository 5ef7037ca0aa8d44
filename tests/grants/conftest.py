"""A world for access grants: a restricted and a researchers-only testimony with a real name, a restricted
passage and a recording, researchers to ask, and a curator to decide."""
from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from archive import models
from archive.core import dispatch
from archive.curation import narrators as narrator_service
from archive.curation import recordings, testimonies
from tests.security.world import make_user, tiny_wav

REAL_NAME = "Realname Hiddenperson"
SECRET = "Withheldsecret about the brother's unit"


def protected_testimony(access_level: str, title: str, **values: Any) -> models.Testimony:
    """A published testimony at `access_level` whose narrator has a real name, with a restricted passage."""
    narrator = narrator_service.create_narrator({"pseudonym": f"Pseudonym of {title}", "real_name": REAL_NAME,
                                                 "gender": "female", "origin_province": "Ryanggang"})
    data = {"title": title, "access": access_level, "status": "published", "languages": ["en"],
            "consent_audio": True, "consent_transcript": True, "interview_date": "2016"}
    data.update(values)
    with dispatch.deferred():
        t = testimonies.create_testimony(data, narrator)
        testimonies.replace_transcript(t, [
            {"start": 0, "end": 2, "speaker": REAL_NAME, "text": "Openwords about the river crossing."},
            {"start": 2, "end": 4, "speaker": "Interviewer", "text": SECRET, "restricted": True}], None)
        recordings.upload_recording(t, io.BytesIO(tiny_wav(1.0)), "talk.wav", None)
    return t


@pytest.fixture()
def world(app: Flask) -> dict[str, Any]:
    return {
        "restricted": protected_testimony("restricted", "Closed crossing"),
        "researchers": protected_testimony("researchers", "Researchers crossing"),
        "asker": make_user("asker@example.org", "researcher", approved=False),
        "other": make_user("other@example.org", "researcher", approved=True),
        "curator": make_user("decider@example.org", "curator"),
    }
