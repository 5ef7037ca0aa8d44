"""Curator pages (login required, curators and admins only).

Every state change is a POST carrying the CSRF token and, for testimonies, the version the
form was rendered with. Errors re-render the form with the curator's input (400, 409 for a
conflicting save, 413 for an oversized upload); success flashes and redirects.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from archive.core.extensions import db
from archive.curation import editor_page as editor
from archive.curation import forms as forms
from archive.models import Narrator, Segment, Testimony
from archive.policy import access, disclosure, protected
from archive.core.security import UPLOAD_ENDPOINTS
from archive.curation import bulk, bulk_views, recordings
from archive.curation import testimonies
from archive.policy.guards import curators_area
from archive.core.errors import ConflictError, ValidationError
from archive.curation.narrators import create_narrator, update_narrator
from archive.core.form_errors import Sentence
from archive.formats import timecode
from archive.media import files
from archive.formats.transcripts import TranscriptError, parse_transcript

bp = Blueprint("curator", __name__, url_prefix="/curate")

Page = str | tuple[str, int] | Response
curators_area(bp)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Werkzeug refuses an oversized body before any view runs; say so on the page the curator came from."""
    if request.endpoint not in UPLOAD_ENDPOINTS:  # a form that takes no file: the small body limit applies
        return render_template("errors/error.html", code=413, name=error.name,
                               description=_("The request is larger than the archive accepts.")), 413
    limit = editor.format_bytes(current_app.config["MAX_UPLOAD_BYTES"])
    message = _("the file is larger than the %(limit)s upload limit. Nothing was stored.", limit=limit)
    testimony_id = (request.view_args or {}).get("testimony_id")
    t = db.session.get(Testimony, testimony_id) if access.can_edit(current_user) and testimony_id else None
    if t is None:  # not staff (the login check has not run yet) or not a testimony page
        return render_template("errors/error.html", code=413, name=error.name,
                               description=_("The upload is larger than the %(limit)s the archive accepts.",
                                             limit=limit)), 413
    section = "transcript" if request.endpoint == "curator.import_transcript" else "recording"
    form = editor.fresh_form(forms.TranscriptForm if section == "transcript" else forms.RecordingForm, editor.SECTIONS[section][0],
                  {"version": t.version})
    form.file.errors = [message]
    return editor.edit_page(t, 413, section, **{section: form})


# ---------------------------------------------------------------- dashboard and narrators

@bp.get("/")
def dashboard() -> Page:
    # Filtered by ?status=, ?access=, ?topic=, ?q=; its table is also the selection of bulk work.
    return bulk_views.dashboard_page(bulk.Filters.from_args(request.args))


@bp.route("/narrators/new", methods=["GET", "POST"])
def new_narrator() -> Page:
    form = editor.with_choices(forms.NarratorForm())
    if form.is_submitted() and editor.checked_narrator_form(form):
        try:
            narrator = create_narrator(form.values())
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Narrator “%(name)s” created.", name=narrator.pseudonym), "info")
            return redirect(url_for(".new_testimony", narrator=narrator.id))
    status = 400 if form.is_submitted() else 200
    return render_template("curation/narrator.html", form=form, narrator=None), status


@bp.route("/narrators/<int:narrator_id>", methods=["GET", "POST"])
def edit_narrator(narrator_id: int) -> Page:
    narrator = db.get_or_404(Narrator, narrator_id)
    if not request.method == "POST":
        form = editor.with_choices(forms.NarratorEditForm(formdata=None, data=forms.narrator_data(narrator)))
        return _narrator_page(form, narrator)
    form = editor.with_choices(forms.NarratorEditForm())
    if editor.checked_narrator_form(form):
        try:
            update_narrator(narrator, form.values(), form.version.data)
        except ConflictError as error:
            db.session.rollback()
            return _narrator_page(form, narrator, conflict=error), 409
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Narrator “%(name)s” saved.", name=narrator.pseudonym), "info")
            return redirect(url_for(".dashboard", _anchor="narrators"))
    return _narrator_page(form, narrator), 400


def _narrator_page(form: forms.NarratorForm, narrator: Narrator, conflict: ConflictError | None = None) -> str:
    """The edit page with the saved narrator's public profile and its population estimate beside the form."""
    profile = protected.profile_view(narrator, access.PUBLIC)
    return render_template("curation/narrator.html", form=form, narrator=narrator, conflict=conflict,
                           profile=profile, estimate=disclosure.estimate(profile))


# ---------------------------------------------------------------- testimonies

@bp.route("/testimonies/new", methods=["GET", "POST"])
def new_testimony() -> Page:
    form = editor.with_choices(forms.NewTestimonyForm())
    if request.method == "GET":
        form.narrator.data = request.args.get("narrator", "")
    narrator = editor.checked_testimony_form(form, None) if form.is_submitted() else None
    if narrator is not None:
        try:
            t = testimonies.create_testimony(form.values(), narrator)
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Testimony “%(title)s” created as a restricted draft. Add its recording, transcript and "
                    "route below; publish it when it is ready.", title=t.title), "info")
            return redirect(url_for(".edit_testimony", testimony_id=t.id))
    status = 400 if form.is_submitted() else 200
    return render_template("curation/new_testimony.html", form=form), status


@bp.get("/testimonies/<int:testimony_id>")
def edit_testimony(testimony_id: int) -> tuple[str, int]:
    return editor.edit_page(db.get_or_404(Testimony, testimony_id))


@bp.post("/testimonies/<int:testimony_id>/metadata")
def save_metadata(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = editor.with_choices(forms.MetadataForm(prefix="meta"))
    narrator = editor.checked_testimony_form(form, t.id)
    if narrator is None:
        return editor.edit_page(t, 400, "metadata", metadata=form)
    try:
        testimonies.update_testimony(t, {**form.values(), "narrator": narrator}, form.version.data, widen=False)
    except (ConflictError, ValidationError) as error:
        return editor.refused(t, "metadata", form, error)
    return editor.saved(t, _("Details saved."), "metadata")


@bp.post("/testimonies/<int:testimony_id>/route")
def save_route(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = editor.with_choices(forms.RouteForm(prefix="route"))
    ok = form.validate()
    rows = form.kept_rows()
    legs = [{"country": r.form.country.data, "place": r.form.place.data, "year": r.form.year.data,
             "event": r.form.event.data} for r in rows]
    if not ok:
        editor.checked_rows(form, rows, legs, testimonies.route_values, _("Stop"))
        return editor.edit_page(t, 400, "route", route=form)
    try:
        testimonies.set_route(t, legs, form.version.data)
    except (ConflictError, ValidationError) as error:
        return editor.refused(t, "route", form, error, rows=rows, what=_("Stop"))
    return editor.saved(t, ngettext("Escape route saved (%(num)d stop).", "Escape route saved (%(num)d stops).",
                              len(legs)), "route")


@bp.post("/testimonies/<int:testimony_id>/tags")
def save_tags(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = editor.with_choices(forms.TagsForm(prefix="tags"))
    if not form.validate():
        return editor.edit_page(t, 400, "tags", tags=form)
    try:
        testimonies.set_topics(t, list(form.tags.data or []), form.version.data)
    except (ConflictError, ValidationError) as error:
        return editor.refused(t, "tags", form, error)
    return editor.saved(t, _("Topics saved."), "tags")


@bp.post("/testimonies/<int:testimony_id>/chapters")
def save_chapters(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = forms.ChaptersForm(prefix="ch")
    ok = form.validate()
    rows = form.kept_rows()
    chapters = [{"start": timecode.parse_field(r.form.start.data), "title": r.form.title.data,
                 "synopsis": r.form.synopsis.data, "keywords": r.form.keywords.data or ""} for r in rows]
    if not ok:
        editor.checked_rows(form, rows, chapters, testimonies.chapter_values, _("Chapter"))
        return editor.edit_page(t, 400, "chapters", chapters=form)
    try:
        testimonies.set_chapters(t, chapters, form.version.data)
    except (ConflictError, ValidationError) as error:
        return editor.refused(t, "chapters", form, error, rows=rows, what=_("Chapter"))
    return editor.saved(t, _("Chapters saved (%(count)s).", count=len(chapters)), "chapters")


@bp.post("/testimonies/<int:testimony_id>/recording")
def upload_recording(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = forms.RecordingForm(prefix="rec")
    if not form.validate():
        return editor.edit_page(t, 400, "recording", recording=form)
    upload = form.file.data
    try:
        recordings.upload_recording(t, upload.stream, upload.filename or "", form.version.data)
    except (ConflictError, ValidationError) as error:
        page, status = editor.refused(t, "recording", form, error, rename={"recording": "file"})
        upload.stream.seek(0, 2)
        too_large = isinstance(error, ValidationError) and upload.stream.tell() > current_app.config["MAX_UPLOAD_BYTES"]
        return page, 413 if too_large else status
    rec = t.recording
    return editor.saved(t, _("Recording stored (%(type)s, %(size)s).", type=rec.mime_type, size=editor.format_bytes(rec.size_bytes)),
                  "recording")


@bp.post("/testimonies/<int:testimony_id>/recording/delete")
def remove_recording(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = forms.VersionForm(prefix="recdel")
    if not form.validate():
        return editor.edit_page(t, 400, "recording", remove_recording=form)
    try:
        recordings.delete_recording(t, form.version.data)
    except ConflictError as error:
        return editor.refused(t, "recording", form, error, form_key="remove_recording")
    return editor.saved(t, _("Recording removed and its file deleted."), "recording")


@bp.post("/testimonies/<int:testimony_id>/transcript")
def import_transcript(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = forms.TranscriptForm(prefix="tr")
    ok = form.validate()
    if t.segments and not form.confirm.data:
        forms.required(form.confirm)
        ok = False
    if not ok:
        return editor.edit_page(t, 400, "transcript", transcript=form)
    upload = form.file.data
    data, filename = (upload.read(), upload.filename or "") if upload else (form.text.data or "", None)
    kind = files.binary_kind(data[:4096]) if upload else None
    if kind is not None:  # a recording given as the transcript: say so, not "not valid UTF-8"
        form.file.errors = [Sentence(_("The transcript file is %(kind)s, not a transcript: choose a WebVTT (.vtt), "
                                       "SubRip (.srt) or text (.txt) file", kind=kind))]
        return editor.edit_page(t, 400, "transcript", transcript=form)
    fmt = None if form.format.data == "auto" else form.format.data
    duration = t.recording.duration_seconds if t.recording else None
    try:
        parsed = parse_transcript(data, filename, fmt, total_duration=duration)
        testimonies.replace_transcript(t, parsed, form.version.data, source=filename or "pasted text")  # audit log
    except TranscriptError as error:
        problems = [msg if line is None else _("Line %(line)s: %(problem)s", line=line, problem=msg)
                    for line, msg in error.problems]
        return editor.edit_page(t, 400, "transcript", problems=problems, transcript=form)
    except ValidationError as error:
        db.session.rollback()
        problems = [editor.passage_problem(key, msg) for key, messages in error.errors.items() for msg in messages]
        return editor.edit_page(t, 400, "transcript", problems=problems, transcript=form)
    except ConflictError as error:
        return editor.refused(t, "transcript", form, error)
    restricted = sum(1 for s in parsed if s.restricted)
    return editor.saved(t, _("Transcript imported: %(count)s segments (%(restricted)s restricted) replaced the old ones.",
                       count=len(parsed), restricted=restricted), "transcript")


@bp.route("/testimonies/<int:testimony_id>/segments/<int:segment_id>", methods=["GET", "POST"])
def edit_segment(testimony_id: int, segment_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    segment = db.get_or_404(Segment, segment_id)
    if segment.testimony_id != t.id:
        abort(404)
    if request.method == "GET":
        form = forms.SegmentForm(formdata=None, data=forms.segment_data(segment, t.version))
        return render_template("curation/segment.html", t=t, segment=segment, form=form)
    form = forms.SegmentForm()
    conflict = None
    if form.validate():
        try:
            testimonies.update_segment(t, segment, form.values(), form.version.data)
        except ConflictError as error:
            db.session.rollback()
            conflict = error
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, {key.rsplit(".", 1)[-1]: msgs for key, msgs in error.errors.items()})
        else:
            flash(_("Segment %(number)s saved.", number=segment.position), "info")
            return redirect(url_for(".edit_testimony", testimony_id=t.id, _anchor=f"segment-{segment.id}"))
    return render_template("curation/segment.html", t=t, segment=segment, form=form,
                           conflict=conflict), 409 if conflict else 400


@bp.post("/testimonies/<int:testimony_id>/publish")
def publish(testimony_id: int) -> Page:
    # Showing it outside staff goes through the checklist (archive/curation/publishing_views.py).
    return _publication(testimony_id, "publish", partial(testimonies.publish_testimony, widen=False))


@bp.post("/testimonies/<int:testimony_id>/unpublish")
def unpublish(testimony_id: int) -> Page:
    return _publication(testimony_id, "unpublish", testimonies.unpublish_testimony)


def _publication(testimony_id: int, action: str, service: Any) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = forms.VersionForm(prefix="pub" if action == "publish" else "unpub")
    if not form.validate():
        return editor.edit_page(t, 400, "publication", **{action: form})
    try:
        service(t, form.version.data)
    except ConflictError as error:
        return editor.refused(t, "publication", form, error, form_key=action)
    except ValidationError:
        db.session.rollback()
        flash(_("Publishing would show this testimony outside staff: review the checklist, then confirm."), "info")
        return redirect(url_for("publishing.checklist", testimony_id=t.id))
    if action == "unpublish":
        return editor.saved(t, _("Unpublished: the testimony is a draft again and has left every public page."),
                      "publication")
    if access.testimony_visibility(t) == access.STAFF or t.access not in ("public", "researchers"):
        message = _("Published: still hidden from the public (check its access level, embargo and consent).")
    elif t.access == "public":
        message = _("Published: visible to everyone.")
    else:
        message = _("Published: visible to approved researchers.")
    return editor.saved(t, message, "publication")


@bp.route("/testimonies/<int:testimony_id>/withdraw", methods=["GET", "POST"])
def withdraw_consent(testimony_id: int) -> Page:
    def withdraw(t: Testimony, version: int) -> Response:
        testimonies.withdraw_consent(t, version)
        return editor.saved(t, _("Consent withdrawal recorded: the testimony has left every public surface."),
                            "publication")
    return _confirmed(testimony_id, forms.WithdrawForm, "curation/withdraw.html", withdraw)


@bp.route("/testimonies/<int:testimony_id>/delete", methods=["GET", "POST"])
def delete_testimony(testimony_id: int) -> Page:
    def delete(t: Testimony, version: int) -> Response:
        title = t.title
        testimonies.delete_testimony(t, version)  # rows, then the files
        flash(_("Testimony “%(title)s” deleted.", title=title), "info")
        return redirect(url_for(".dashboard"))
    return _confirmed(testimony_id, forms.DeleteForm, "curation/delete.html", delete)


def _confirmed(testimony_id: int, form_class: type[FlaskForm], template: str,
               act: Callable[[Testimony, int], Response]) -> Page:
    """A confirmation page (GET) and its form (POST): `act` runs on a confirmed, current form; a stale one is
    answered 409 with what changed, an invalid one 400."""
    t = db.get_or_404(Testimony, testimony_id)
    form = form_class() if request.method == "POST" else form_class(formdata=None, data={"version": t.version})
    if request.method == "POST" and form.validate():
        try:
            return act(t, form.version.data)
        except ConflictError as error:
            db.session.rollback()
            return render_template(template, t=t, form=form, conflict=error), 409
    return render_template(template, t=t, form=form), 400 if form.is_submitted() else 200
