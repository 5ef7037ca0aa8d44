"""The waveform of a recording for the listening page's timeline, as one audience may see it.

Built from the same policy as the recording itself (`listening.hearable_recording`, the media route's
check) and the testimony's protected view: a recording the user may not hear is None, exactly like a
missing one. The peaks are those of the public copy (the only ones stored; staff, who hear the
original, get the same drawing), chapters and gaps come from the protected view: chapter titles only
with transcript access, and the withheld (restricted) passages as times only, never their text.
While the public copy is not ready there are no peaks, only ``ready: false``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.media import copies
from archive.policy import protected
from archive.public import listening
from archive.interop.api_params import MAX_ID


@dataclass(frozen=True)
class Waveform:
    """What the timeline endpoint answers, and whether shared caches may keep it."""

    body: dict[str, Any]
    public: bool

    @property
    def ready(self) -> bool:
        return bool(self.body.get("ready"))


def recording_waveform(user: Any, recording_id: int) -> Waveform | None:
    """The timeline of a recording this user may hear, or None (missing, hidden and unhearable alike)."""
    if not 1 <= recording_id <= MAX_ID:
        return None
    rec = listening.hearable_recording(user, recording_id)
    if rec is None:
        return None
    view = protected.testimony_view(user, rec.testimony)
    if view is None or rec.id not in {r.id for r in view.recordings}:
        return None
    body: dict[str, Any] = {"recording": rec.id, "testimony": view.id, "ready": False}
    copy = copies.servable_copy(rec)
    waveform = copy.waveform if copy is not None else None
    if copy is None or not waveform or not waveform.get("peaks"):
        return Waveform(body, public=False)
    peaks = [int(p) for p in waveform["peaks"]]
    seconds_per_peak = float(waveform["seconds_per_peak"])
    duration = float(copy.duration_seconds or len(peaks) * seconds_per_peak)
    body.update({
        "ready": True,
        "of": "public-copy",
        "duration": round(duration, 3),
        "seconds_per_peak": seconds_per_peak,
        "peaks": peaks,  # 0..255, the loudest sample of each stretch of seconds_per_peak
        "chapters": [{"start": round(c.start, 3), "title": c.title} for c in view.chapters],
        # Restricted passages as times only (their text never leaves the protected view for non-staff).
        "gaps": [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in view.segments
                 if s.restricted and s.end is not None and s.end > s.start],
    })
    return Waveform(body, public=not view.staff and listening.recording_is_public(rec.testimony))
