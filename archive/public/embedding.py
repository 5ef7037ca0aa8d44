"""The embeddable player: what other sites may frame of a testimony (its public recording, transcript, chapters).

Always the public audience's protected view, whoever asks (a curator's login changes nothing, and no
cookie is needed): a testimony whose recording the public may not hear, or whose public copy is not
ready, has no embed and answers like a missing one.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.core.extensions import db
from archive.formats import timecode
from archive.interop.api_params import MAX_ID
from archive.media import copies
from archive.models import Testimony
from archive.policy import access, protected
from archive.policy.protected import TestimonyView
from archive.public.listening import SPEEDS

EMBED_HEIGHT = 480  # pixels: the player, the chapters and a few lines of the transcript


@dataclass(frozen=True)
class EmbedPlayer:
    """The player settings of an embed (the names `templates/public/_player.html` reads)."""

    start: float
    end: float | None
    caption_language: str
    can_read_transcript: bool
    speeds: tuple[float, ...] = SPEEDS
    staff: bool = False


def embeddable_view(testimony_id: int) -> TestimonyView | None:
    """The public view of a testimony whose public recording anyone may play, or None (missing and hidden alike)."""
    if not 1 <= testimony_id <= MAX_ID:
        return None
    t = db.session.get(Testimony, testimony_id)
    if t is None:
        return None
    view = protected.audience_view(access.PUBLIC, t)
    if view is None or view.recording is None or copies.servable_copy(view.recording) is None:
        return None
    return view


def parse_clip(raw: str | None, duration: float | None) -> tuple[float, float | None]:
    """Where ``?t=START[,END]`` starts and stops: (0, None) for nothing usable; no end unless after the start."""
    start_text, _, end_text = (raw or "").partition(",")
    start = timecode.parse_start(start_text, duration)
    end = timecode.parse_start(end_text, duration) if end_text else 0.0
    return start, (end if end > start else None)


def embed_player(view: TestimonyView, clip: str | None) -> EmbedPlayer:
    """The settings of the embedded player for ``?t=``."""
    start, end = parse_clip(clip, view.recording.duration_seconds if view.recording is not None else None)
    return EmbedPlayer(start=start, end=end, caption_language=view.main_language,
                       can_read_transcript=view.can_read_transcript)
