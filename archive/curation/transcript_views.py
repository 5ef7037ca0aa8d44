"""The transcript editor: a page beside the recording and its JSON endpoints (curators and admins only).

Every POST is JSON carrying the CSRF token in the X-CSRFToken header (Flask-WTF's CSRFProtect reads it
there). The draft endpoints store the curator's draft; "apply" makes it the transcript through the
service (archive/curation/transcript_drafts.py): 409 when the saved transcript changed since the editor
opened it, 400 with each problem naming its passage and field.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from archive.core.errors import ConflictError, ValidationError
from archive.core.extensions import db
from archive.curation import editor_page as editor
from archive.curation import transcript_drafts as drafts
from archive.models import Testimony
from archive.policy.guards import curators_area

bp = Blueprint("transcript_editor", __name__, url_prefix="/curate/testimonies")
_PROBLEM_FIELDS = {"start", "end", "text", "speaker", "language", "restricted"}


curators_area(bp)


@bp.get("/<int:testimony_id>/transcript/editor")
def editor_page(testimony_id: int) -> str:
    t = db.get_or_404(Testimony, testimony_id)
    return render_template("curation/transcript_editor.html", t=t, rec=t.recording)


@bp.get("/<int:testimony_id>/transcript/editor.json")
def state(testimony_id: int) -> Response:
    t = db.get_or_404(Testimony, testimony_id)
    return jsonify(drafts.editor_state(t, current_user))


@bp.post("/<int:testimony_id>/transcript/draft")
def save_draft(testimony_id: int) -> Response | tuple[Response, int]:
    t = db.get_or_404(Testimony, testimony_id)
    try:
        draft = drafts.save_draft(t, current_user, request.get_json(silent=True))
    except ValidationError as error:
        db.session.rollback()
        return _problems(error), 400
    return jsonify({"saved_at": draft.updated_at.isoformat(timespec="seconds") + "Z"})


@bp.post("/<int:testimony_id>/transcript/draft/discard")
def discard_draft(testimony_id: int) -> Response:
    t = db.get_or_404(Testimony, testimony_id)
    return jsonify({"discarded": drafts.discard_draft(t, current_user)})


@bp.post("/<int:testimony_id>/transcript/apply")
def apply_draft(testimony_id: int) -> Response | tuple[Response, int]:
    t = db.get_or_404(Testimony, testimony_id)
    try:
        drafts.apply_draft(t, current_user, request.get_json(silent=True))
    except ConflictError as error:
        db.session.rollback()
        return jsonify({"conflict": str(error), "current_version": drafts.transcript_version(t)}), 409
    except ValidationError as error:
        db.session.rollback()
        return _problems(error), 400
    restricted = sum(1 for s in t.segments if s.restricted)
    return jsonify({"version": drafts.transcript_version(t), "passages": len(t.segments), "restricted": restricted,
                    "message": _("Transcript saved: %(count)s passages (%(restricted)s restricted).",
                                 count=len(t.segments), restricted=restricted)})


def _problems(error: ValidationError) -> Response:
    """Each problem with its passage number and field (when it has them) and a message naming both."""
    problems: list[dict[str, Any]] = []
    for key, messages in error.errors.items():
        match = editor._PASSAGE_KEY.match(key)
        number, field = (int(match[1]), match[2]) if match else (None, None)
        for message in messages:
            text = editor.passage_problem(key, message) if match else (
                message if key == "__all__" else f"{key}: {message}")
            problems.append({"passage": number, "field": field if field in _PROBLEM_FIELDS else None,
                             "message": text})
    return jsonify({"problems": problems})
