"""The consent questions say plainly what each answer does, and what they say is what happens."""
from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from archive.media import copies
from archive.curation.recordings import upload_recording
from tests.media.samples import FORMATS, make_sample

AUDIO_HINT = ("Not ticked: only staff can play the recording. Ticked: everyone else who may see the testimony hears "
              "its public copy, with restricted passages silenced")
FACE_VOICE_HINT = ("Not ticked: an audio recording is heard with the voice disguised (pitch-shifted, timing kept), "
                   "and a video recording is not shown outside staff at all, neither picture nor sound.")


def _hint_of(page: str, field: str) -> str:
    """The hint text tied to a checkbox through aria-describedby."""
    control = re.search(rf'<input[^>]*id="{field}"[^>]*>', page)
    assert control, field
    described = re.search(r'aria-describedby="([^"]+)"', control.group(0))
    assert described, f"{field} has no description"
    hint = re.search(rf'<p class="hint" id="{described.group(1)}">(.*?)</p>', page, re.S)
    assert hint, described.group(1)
    return html.unescape(hint.group(1))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_form_says_which_choice_gives_which_result(client: FlaskClient, auth: Any, lang: str) -> None:
    auth.login("curator")
    client.set_cookie("lang", lang)
    page = client.get("/curate/testimonies/new").get_data(as_text=True)
    audio, face_voice = _hint_of(page, "consent_audio"), _hint_of(page, "consent_face_voice")
    if lang == "en":
        assert AUDIO_HINT in audio
        assert FACE_VOICE_HINT in face_voice and "the voice is heard as recorded" in face_voice
    else:
        assert "직원만 녹음을 재생" in audio and "공개용 사본" in audio
        assert "목소리를 변조" in face_voice and "영상 녹화물은 직원 외에는" in face_voice


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("samples")
    return {name: make_sample(directory, name).read_bytes() for name in ("wav", "mp4-video")}


@pytest.mark.parametrize("audio,face_voice,name,heard,masked", [
    (False, False, "wav", False, None),  # "only staff can play the recording"
    (False, True, "wav", False, None),  # "without the audio consent nothing is played outside staff either way"
    (True, False, "wav", True, True),  # "heard with the voice disguised"
    (True, True, "wav", True, False),  # "heard as recorded"
    (True, False, "mp4-video", False, None),  # "a video recording is not shown outside staff at all"
    (True, True, "mp4-video", True, False),  # "a video recording is shown"
])
def test_what_the_form_says_is_what_the_public_gets(client: FlaskClient, factory: Any, samples: dict[str, bytes],
                                                    audio: bool, face_voice: bool, name: str, heard: bool,
                                                    masked: bool | None) -> None:
    t = factory.testimony(consent_audio=audio, consent_face_voice=face_voice)
    upload_recording(t, io.BytesIO(samples[name]), f"talk{FORMATS[name][1]}", None)
    rec = t.recording
    assert client.get(f"/media/recordings/{rec.id}").status_code == (200 if heard else 404)
    copy = copies.servable_copy(rec)
    assert (copy.masked if copy is not None else None) == masked
