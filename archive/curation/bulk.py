"""Bulk work on testimonies: select several, preview one change, confirm it once.

Curators select testimonies on the dashboard by filter (status, access level, topic, words of the title)
or by hand, and choose one change: the access level, publish or unpublish, topics added or removed, an
embargo date set or cleared. `preview` says of each testimony what would change, or why nothing would, and
writes nothing. `apply` makes the change one testimony at a time through the single-edit services (each
its own versioned, audited commit, as if the curator had edited it alone), inside `dispatch.deferred()` so
the search index and the OAI records are brought up to date once, at the end:

- a testimony saved since the preview (its version is not the one the preview showed) is skipped and
  reported with who changed it; the others are applied;
- a change that shows a testimony to more people (publishing one whose access is public or researchers,
  widening the access of a published one) goes through `publishing.publish_testimony`, the publication
  checklist's own checks: a consent withdrawal, unresolved sensitive-term hits, or a profile shared by
  fewer people than the disclosure threshold (which needs a written justification, given on the
  testimony's own checklist) refuse it, with the reason; it is never published;
- everything else keeps or narrows the audience and goes through `testimonies.update_testimony`
  (widen=False), `unpublish_testimony`, `publish_testimony` (widen=False) or `set_topics`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from archive.core import audit, dispatch
from archive.core.errors import ConflictError, ValidationError
from archive.core.extensions import db
from archive.core.fields import FieldProblem, optional_date
from archive.core.saving import check_version
from archive.curation import publishing
from archive.curation import testimonies as testimony_service
from archive.models import ACCESS_LEVELS, STATUSES, Testimony, Topic
from archive.policy import access, release

ACTIONS = ("access", "publish", "unpublish", "add_topics", "remove_topics", "embargo", "clear_embargo")
SCOPES = ("ticked", "matching")
MAX_TITLE_QUERY = 200
# What a previewed or applied testimony comes to.
CHANGE, SAME, REFUSED, APPLIED, SKIPPED = "change", "same", "refused", "applied", "skipped"
NOTHING_TO_APPLY = _l("The confirmation names no testimony to change. Go back to the dashboard and preview again.")


# ---------------------------------------------------------------- selecting

@dataclass(frozen=True)
class Filters:
    """The dashboard's filters; an unknown value is dropped (shows everything) rather than refused."""

    status: str = ""
    access: str = ""
    topic: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Filters:
        """Read status, access, topic and q from a request's arguments or form."""
        status = str(args.get("status") or "").strip()
        level = str(args.get("access") or "").strip()
        topic = str(args.get("topic") or "").strip()
        q = " ".join(str(args.get("q") or "").split())[:MAX_TITLE_QUERY]
        if topic and db.session.scalar(select(Topic.id).where(Topic.slug == topic)) is None:
            topic = ""
        return cls(status if status in STATUSES else "", level if level in ACCESS_LEVELS else "", topic, q)

    @property
    def active(self) -> bool:
        return bool(self.status or self.access or self.topic or self.q)

    def args(self) -> dict[str, str]:
        """The filters that are set, for a link or hidden fields."""
        return {k: v for k, v in (("status", self.status), ("access", self.access), ("topic", self.topic),
                                  ("q", self.q)) if v}


def _listing() -> Select[tuple[Testimony]]:
    return (select(Testimony)
            .options(selectinload(Testimony.narrator), selectinload(Testimony.recordings),
                     selectinload(Testimony.topics))
            .order_by(Testimony.updated_at.desc(), Testimony.id.desc()))


def matching(filters: Filters) -> list[Testimony]:
    """The testimonies the filters match, most recently changed first (the dashboard's order)."""
    query = _listing()
    if filters.status:
        query = query.where(Testimony.status == filters.status)
    if filters.access:
        query = query.where(Testimony.access == filters.access)
    if filters.topic:
        query = query.where(Testimony.topics.any(Topic.slug == filters.topic))
    if filters.q:
        for word in filters.q.split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Testimony.title.ilike(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(query))


def selected(scope: str, ids: Iterable[int], filters: Filters) -> list[Testimony]:
    """The testimonies ticked by hand, or all those the filters match; refuse an empty selection."""
    if scope == "matching":
        rows = matching(filters)
        if not rows:
            raise ValidationError(_("No testimony matches the filters. Change the filters, then select again."),
                                  "ids")
        return rows
    wanted = sorted(set(ids))
    rows = list(db.session.scalars(_listing().where(Testimony.id.in_(wanted)))) if wanted else []
    if not rows:
        raise ValidationError(_("Select at least one testimony: tick it in the table, or choose “All testimonies "
                                "shown”."), "ids")
    return rows


# ---------------------------------------------------------------- the change

@dataclass(frozen=True)
class Change:
    """One change for every selected testimony (validated by `change_from`)."""

    action: str
    access: str = ""
    topics: tuple[Topic, ...] = ()
    embargo_until: date | None = None

    def values(self) -> dict[str, Any]:
        """The scalar fields it sets (not for topics)."""
        return {"access": {"access": self.access}, "publish": {"status": "published"},
                "unpublish": {"status": "draft"}, "embargo": {"embargo_until": self.embargo_until},
                "clear_embargo": {"embargo_until": None}}.get(self.action, {})

    def describe(self) -> dict[str, Any]:
        """The change as the audit log records it."""
        return {"action": self.action, "access": self.access or None, "topics": [t.slug for t in self.topics],
                "embargo_until": self.embargo_until}


def change_from(data: Mapping[str, Any]) -> Change:
    """Validate the chosen change (action, access, topics, embargo_until); every problem names its field."""
    action = str(data.get("action") or "")
    if action not in ACTIONS:
        raise ValidationError(_("Choose a change to make: an access level, publish or unpublish, topics or an "
                                "embargo."), "action")
    if action == "access":
        level = str(data.get("access") or "")
        if level not in ACCESS_LEVELS:
            raise ValidationError(_("Choose the access level to set."), "access")
        return Change(action, access=level)
    if action in ("add_topics", "remove_topics"):
        slugs = [str(s) for s in data.get("topics") or [] if str(s).strip()]
        if not slugs:
            raise ValidationError(_("Choose at least one topic to add or remove."), "topics")
        # A retired topic may still be removed, never added.
        keep = slugs if action == "remove_topics" else ()
        try:
            topics = testimony_service.topic_values(slugs, keep=keep)
        except ValidationError as error:
            raise ValidationError({"topics": error.errors["tags"]}) from None
        return Change(action, topics=tuple(topics))
    if action == "embargo":
        raw = str(data.get("embargo_until") or "").strip()
        if not raw:
            raise ValidationError(_("Enter the date the embargo ends, as YYYY-MM-DD (for example 2030-01-31)."),
                                  "embargo_until")
        try:
            until = optional_date(raw)
        except FieldProblem:
            raise ValidationError(_("Enter the embargo date as a real date in the form YYYY-MM-DD (for example "
                                    "2030-01-31), not %(value)s.", value=repr(raw[:20])), "embargo_until") from None
        if until is None or until <= access.today():
            raise ValidationError(_("Enter an embargo date after today: an embargo that has ended holds nothing "
                                    "back."), "embargo_until")
        return Change(action, embargo_until=until)
    return Change(action)


# ---------------------------------------------------------------- preview

@dataclass
class Item:
    """What the change does (or did) to one testimony."""

    testimony_id: int
    title: str
    version: int
    outcome: str = SAME
    # field → (before, after): access, status and embargo_until as stored, topics as lists of Topic.
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str = ""
    # The wider audience the change releases it to (through the checklist's checks), if any.
    widens: str | None = None
    # Who sees it outside staff before and after (None: nobody).
    reach: tuple[str | None, str | None] = (None, None)


@dataclass
class Outcome:
    """The items of a preview or of an application, by what came of them."""

    change: Change
    items: list[Item]

    def of(self, outcome: str) -> list[Item]:
        return [item for item in self.items if item.outcome == outcome]


def plan(t: Testimony, change: Change) -> Item:
    """What `change` would do to `t`, or why nothing would (writes nothing)."""
    item = Item(t.id, t.title, t.version)
    reach = release.released_to(t.status, t.access)
    item.reach = (reach, reach)
    if change.action in ("add_topics", "remove_topics"):
        before = list(t.topics)
        wanted = {topic.id for topic in change.topics}
        if change.action == "add_topics":
            after = sorted({*before, *change.topics}, key=lambda topic: topic.slug)
        else:
            after = [topic for topic in before if topic.id not in wanted]
        if [x.id for x in after] == [x.id for x in before]:
            item.reason = (_("It already has these topics.") if change.action == "add_topics"
                           else _("It has none of these topics."))
            return item
        item.changes["topics"] = (before, after)
        item.outcome = CHANGE
        return item
    values = change.values()
    item.changes = {name: (getattr(t, name), new) for name, new in values.items() if getattr(t, name) != new}
    if not item.changes:
        item.reason = {
            "access": _("Its access level is already the one chosen."),
            "publish": _("It is already published."), "unpublish": _("It is already a draft."),
            "embargo": _("It is already embargoed until that date."), "clear_embargo": _("It has no embargo."),
        }[change.action]
        return item
    item.reach = (reach, release.released_to(values.get("status", t.status), values.get("access", t.access)))
    item.widens = release.widened_audience(t, values)
    if item.widens is not None:
        reasons = _publication_refusals(t, item.widens)
        if reasons:
            item.outcome, item.reason = REFUSED, " ".join(reasons)
            return item
    item.outcome = CHANGE
    return item


def _publication_refusals(t: Testimony, audience: str) -> list[str]:
    """Why the publication checklist would not release `t` to `audience` without more from the curator."""
    review = publishing.checklist(t, audience)
    reasons = list(review.blockers)
    if review.needs_justification:
        reasons.append(_("About %(expected)s people share the narrator's profile as shown, fewer than the "
                         "threshold of %(threshold)s: publish it from its own publication checklist, with a "
                         "written justification.", expected=review.estimate.rounded,
                         threshold=review.estimate.threshold))
    return reasons


def preview(testimonies: Sequence[Testimony], change: Change) -> Outcome:
    """What the change would do to each selected testimony."""
    return Outcome(change, [plan(t, change) for t in testimonies])


# ---------------------------------------------------------------- confirmation

def apply(change: Change, versions: Sequence[tuple[int, int]], actor: Any = None) -> Outcome:
    """Apply the change to each (testimony id, version the preview showed); return what came of each.

    A testimony changed or deleted since the preview is skipped; one the checks refuse now is refused;
    the others are saved one by one (versioned and audited like a single edit). The index and the OAI
    records are updated once, when all are done; an audit entry `testimony.bulk` sums the work up.
    """
    actor = actor if actor is not None else audit.current_actor()
    items: list[Item] = []
    with dispatch.deferred():
        for testimony_id, version in versions:
            items.append(_apply_one(change, testimony_id, version, actor))
        audit.record("testimony.bulk", None, {
            "change": change.describe(),
            **{outcome: [i.testimony_id for i in items if i.outcome == outcome]
               for outcome in (APPLIED, SAME, REFUSED, SKIPPED)}}, actor=actor)
        db.session.commit()
    return Outcome(change, items)


def _apply_one(change: Change, testimony_id: int, version: int, actor: Any) -> Item:
    t = db.session.get(Testimony, testimony_id)
    if t is None:
        return Item(testimony_id, "", version, SKIPPED, reason=_("It was deleted since the preview."))
    try:
        check_version(t, version)
    except ConflictError as error:
        return Item(t.id, t.title, version, SKIPPED, reason=_stale_reason(error))
    item = plan(t, change)
    if item.outcome != CHANGE:
        return item
    try:
        if item.widens is not None:
            publishing.publish_testimony(t, item.widens, version, confirmed=True, actor=actor)
        elif change.action == "publish":
            testimony_service.publish_testimony(t, version, actor, widen=False)
        elif change.action == "unpublish":
            testimony_service.unpublish_testimony(t, version, actor)
        elif "topics" in item.changes:
            testimony_service.set_topics(t, [topic.slug for topic in item.changes["topics"][1]], version, actor)
        else:
            testimony_service.update_testimony(t, change.values(), version, actor, widen=False)
    except ConflictError:  # saved by someone else between the check above and this save
        db.session.rollback()
        item.outcome, item.reason = SKIPPED, _("Someone else saved it at the same moment; nothing was changed.")
    except ValidationError as error:
        db.session.rollback()
        item.outcome = REFUSED
        item.reason = " ".join(message for messages in error.errors.values() for message in messages)
    else:
        item.outcome = APPLIED
    return item


def _stale_reason(error: ConflictError) -> str:
    """Who changed a testimony since the preview, for the report."""
    who = list(dict.fromkeys(str(change["actor"]) for change in error.changes))
    if not who:
        return _("It was changed since the preview; nothing was changed. Preview again to include it.")
    return _("Changed by %(who)s since the preview; nothing was changed. Preview again to include it.",
             who=", ".join(who))
