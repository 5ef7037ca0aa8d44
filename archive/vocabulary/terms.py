"""Add, rename, merge and retire vocabulary terms (topics, places, categories): the only code here that commits.

Every change is audited (action "vocabulary.add", ".edit", ".merge", ".retire", ".restore"). A slug that
changes, or a term merged into another, leaves a `VocabularyRedirect`, so old links and old import files
keep working. Testimonies reach the search index through the normal save path: a merge re-tags them
(each testimony or narrator gets a new version and an audit entry), and a rename makes
`archive.core.changes` count the testimonies the term describes as touched.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from archive.core import audit, dispatch
from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.core.fields import Collector, optional_text
from archive.core.vocabulary import slugify
from archive.models import (CATEGORY_SCHEMES, PLACE_KINDS, VOCABULARIES, Category, Narrator, Place, RouteLeg,
                            Testimony, Topic, VocabularyRedirect)
from archive.models.base import utcnow
from archive.models.themes import theme_places, theme_topics

Term = Topic | Place | Category


@dataclass(frozen=True)
class Field:
    """One editable column of a vocabulary: its name, the longest value, whether it must be given."""

    name: str
    max_length: int
    required: bool = False


LABELS = {"topic": ("label_en", "label_ko"), "place": ("name_en", "name_ko")}
FIELDS: dict[str, tuple[Field, ...]] = {
    "topic": (Field("slug", 80), Field("label_en", 160, True), Field("label_ko", 160),
              Field("description", 2000)),
    "place": (Field("slug", 80), Field("name_en", 120, True), Field("name_ko", 120),
              Field("mccune_reischauer", 160), Field("revised_romanization", 160), Field("other_variants", 2000)),
    **{scheme: (Field("slug", 80), Field("label_en", 160, True), Field("label_ko", 160))
       for scheme in CATEGORY_SCHEMES},
}
# Kinds of place that lie in a province (their parent).
PARENTED_KINDS = ("city", "camp")


def vocabulary_of(term: Term) -> str:
    """The vocabulary a term belongs to: "topic", "place" or its category scheme."""
    return term.scheme if isinstance(term, Category) else "place" if isinstance(term, Place) else "topic"


def labels(term: Term) -> tuple[str, str]:
    """The English and Korean label of a term."""
    en, ko = LABELS.get(vocabulary_of(term), ("label_en", "label_ko"))
    return getattr(term, en), getattr(term, ko)


def terms(vocabulary: str) -> list[Any]:
    """Every term of a vocabulary, retired ones last, by English label."""
    model, where = _model(vocabulary)
    english = Place.name_en if model is Place else model.label_en
    return list(db.session.scalars(select(model).where(*where).order_by(model.retired, english)))


def get_term(vocabulary: str, slug: str) -> Any | None:
    """The term of a vocabulary with this slug, or None."""
    model, where = _model(vocabulary)
    return db.session.scalar(select(model).where(*where, model.slug == slug))


def redirect_target(vocabulary: str, slug: str) -> Any | None:
    """The term an old slug of this vocabulary now points to (None when the slug never moved)."""
    target_id = db.session.scalar(select(VocabularyRedirect.target_id).where(
        VocabularyRedirect.vocabulary == vocabulary, VocabularyRedirect.old_slug == slug))
    return None if target_id is None else db.session.get(_model(vocabulary)[0], target_id)


def usage(term: Term) -> int:
    """How many testimonies the term describes (tags, route, the narrator's profile)."""
    return len(_testimony_ids(term))


def add_term(vocabulary: str, data: dict[str, Any], actor: Any = None, commit: bool = True) -> Any:
    """Create a term from curator input; raise ValidationError naming every problem."""
    model, _where = _model(vocabulary)
    values = _values(vocabulary, data, None)
    term = model(**values, **({"scheme": vocabulary, "position": _next_position(vocabulary)}
                              if model is Category else {}))
    db.session.add(term)
    db.session.flush()
    _forget_redirect(vocabulary, term.slug)
    audit.record("vocabulary.add", term, {"vocabulary": vocabulary, "changes": _loggable(values)}, actor=actor)
    _commit(commit)
    return term


def add_imported_topics(names: list[str], source: str, actor: Any = None) -> list[Topic]:
    """Add topics for tags an import file uses (English label as given; Korean label left for a curator).

    Flushed and audited, not committed: the import commits them once its whole file is valid.
    """
    added = []
    for name in names:
        slug = base = slugify(name)[:76] or "topic"
        number = 2
        while get_term("topic", slug) is not None:
            slug, number = f"{base}-{number}", number + 1
        topic = Topic(slug=slug, label_en=name[:160], label_ko="", description="")
        db.session.add(topic)
        db.session.flush()
        _forget_redirect("topic", slug)
        audit.record("vocabulary.add", topic, {"vocabulary": "topic", "source": source,
                                               "changes": {"slug": slug, "label_en": topic.label_en}}, actor=actor)
        added.append(topic)
    return added


def update_term(term: Term, data: dict[str, Any], actor: Any = None, commit: bool = True) -> dict[str, list[Any]]:
    """Rename or edit a term; a new slug leaves a redirect from the old one. Returns what changed."""
    vocabulary = vocabulary_of(term)
    values = _values(vocabulary, data, term)
    changes = {name: [getattr(term, name), value] for name, value in values.items() if getattr(term, name) != value}
    changes = _loggable(changes)
    if not changes:
        return {}
    old_slug = term.slug
    for name, value in values.items():
        setattr(term, name, value)
    if term.slug != old_slug:
        _forget_redirect(vocabulary, term.slug)
        db.session.add(VocabularyRedirect(vocabulary=vocabulary, old_slug=old_slug, target_id=term.id))
    audit.record("vocabulary.edit", term, {"vocabulary": vocabulary, "slug": term.slug, "changes": changes},
                 actor=actor)
    _commit(commit)
    return changes


def set_retired(term: Term, retired: bool, actor: Any = None, commit: bool = True) -> None:
    """Retire a term (kept on what it describes, no longer offered or accepted) or bring it back."""
    if term.retired == retired:
        return
    term.retired = retired
    audit.record("vocabulary.retire" if retired else "vocabulary.restore", term,
                 {"vocabulary": vocabulary_of(term), "slug": term.slug}, actor=actor)
    _commit(commit)


def merge_terms(source: Term, target: Term, actor: Any = None) -> list[int]:
    """Merge `source` into `target`: re-tag every testimony, narrator and theme, keep the old slug as a
    redirect, delete `source`. One transaction; returns the ids of the testimonies re-tagged."""
    vocabulary = vocabulary_of(source)
    if vocabulary_of(target) != vocabulary:
        raise ValidationError(_("Choose a term of the same vocabulary to merge into."), "target")
    if source.id == target.id:
        raise ValidationError(_("A term cannot be merged into itself; choose another one."), "target")
    if isinstance(source, Place) and source.kind != target.kind:
        raise ValidationError(_("Choose a place of the same kind (%(kind)s) to merge into.", kind=source.kind),
                              "target")
    actor = actor if actor is not None else audit.current_actor()
    with dispatch.deferred():
        testimony_ids = _testimony_ids(source)
        if isinstance(source, Topic):
            retagged = _merge_topic(source, target)
        elif isinstance(source, Place):
            retagged = _merge_place(source, target)
        else:
            retagged = _merge_category(source, target)
        db.session.flush()
        for record in retagged:
            audit.record("vocabulary.retag", record, {"changes": {vocabulary: [source.slug, target.slug]}},
                         actor=actor, version=record.version)
        db.session.execute(update(VocabularyRedirect).where(
            VocabularyRedirect.vocabulary == vocabulary, VocabularyRedirect.target_id == source.id
        ).values(target_id=target.id))
        db.session.add(VocabularyRedirect(vocabulary=vocabulary, old_slug=source.slug, target_id=target.id))
        audit.record("vocabulary.merge", target, {"vocabulary": vocabulary, "merged": source.slug,
                                                  "into": target.slug, "testimonies": sorted(testimony_ids)},
                     actor=actor)
        db.session.delete(source)
        db.session.commit()
    return sorted(testimony_ids)


def _merge_topic(source: Topic, target: Topic) -> list[Any]:
    retagged = []
    for t in db.session.scalars(select(Testimony).where(Testimony.topics.any(Topic.id == source.id))):
        t.topics = [topic for topic in t.topics if topic.id not in (source.id, target.id)] + [target]
        retagged.append(_stamp(t))
    _move_links(theme_topics, "topic_id", source.id, target.id)
    return retagged


def _merge_place(source: Place, target: Place) -> list[Any]:
    retagged: dict[Any, None] = {}
    for leg in db.session.scalars(select(RouteLeg).where(RouteLeg.country_id == source.id)):
        leg.country = target
        retagged[_stamp(db.session.get(Testimony, leg.testimony_id))] = None
    for column in ("origin_province", "origin_place"):
        for narrator in db.session.scalars(select(Narrator).where(getattr(Narrator, f"{column}_id") == source.id)):
            setattr(narrator, column, target)
            retagged[_stamp(narrator)] = None
    for child in db.session.scalars(select(Place).where(Place.parent_id == source.id)):
        child.parent = target
    _move_links(theme_places, "place_id", source.id, target.id)
    # The merged place's spellings keep resolving (imports, forms) to the place that carries it on.
    spellings = [name for name in source.variants if name not in target.variants]
    target.other_variants = "|".join(v for v in [target.other_variants, *spellings] if v)
    return list(retagged)


def _merge_category(source: Category, target: Category) -> list[Any]:
    retagged = []
    for column in ("occupation", "education", "residence_region"):
        for narrator in db.session.scalars(select(Narrator).where(getattr(Narrator, f"{column}_id") == source.id)):
            setattr(narrator, column, target)
            retagged.append(_stamp(narrator))
    return list(dict.fromkeys(retagged))


def _commit(commit: bool) -> None:
    """Commit now, or only flush for a caller that commits many changes at once (a CSV import)."""
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def _stamp(record: Any) -> Any:
    """Mark a re-tagged testimony or narrator as updated (its version goes up with the flush)."""
    record.updated_at = utcnow()
    return record


def _move_links(table: Any, column: str, source_id: int, target_id: int) -> None:
    """Point a link table's rows at the target term, without duplicating a row it already has."""
    col = table.c[column]
    owner = next(c for c in table.c if c.name != column)
    have = set(db.session.scalars(select(owner).where(col == target_id)))
    moving = [o for o in db.session.scalars(select(owner).where(col == source_id)) if o not in have]
    db.session.execute(delete(table).where(col == source_id))
    if moving:
        db.session.execute(insert(table), [{owner.name: o, column: target_id} for o in moving])


def _testimony_ids(term: Term) -> set[int]:
    """The testimonies a term describes: tags, route countries, the narrator's profile."""
    if isinstance(term, Topic):
        return set(db.session.scalars(select(Testimony.id).where(Testimony.topics.any(Topic.id == term.id))))
    if isinstance(term, Place):
        narrators = select(Narrator.id).where((Narrator.origin_province_id == term.id)
                                              | (Narrator.origin_place_id == term.id))
        return set(db.session.scalars(select(Testimony.id).where(
            Testimony.route.any(RouteLeg.country_id == term.id) | Testimony.narrator_id.in_(narrators))))
    narrators = select(Narrator.id).where((Narrator.occupation_id == term.id) | (Narrator.education_id == term.id)
                                          | (Narrator.residence_region_id == term.id))
    return set(db.session.scalars(select(Testimony.id).where(Testimony.narrator_id.in_(narrators))))


def _model(vocabulary: str) -> tuple[Any, tuple[Any, ...]]:
    if vocabulary == "topic":
        return Topic, ()
    if vocabulary == "place":
        return Place, ()
    if vocabulary in CATEGORY_SCHEMES:
        return Category, (Category.scheme == vocabulary,)
    raise ValidationError(_("Unknown vocabulary %(name)s: choose one of %(names)s.", name=repr(vocabulary),
                            names=", ".join(VOCABULARIES)), "vocabulary")


def _values(vocabulary: str, data: dict[str, Any], term: Term | None) -> dict[str, Any]:
    """Check curator input against the vocabulary's fields and rules; every problem at once."""
    c = Collector()
    values: dict[str, Any] = {}
    for field in FIELDS[vocabulary]:
        if field.name == "slug":
            continue
        raw = data.get(field.name, getattr(term, field.name) if term is not None else "")
        values[field.name] = c.check(field.name, optional_text, raw, field.max_length,
                                     required=field.required) or ""
    if "other_variants" in values:
        parts = [p.strip() for p in values["other_variants"].replace("\n", "|").split("|")]
        values["other_variants"] = "|".join(dict.fromkeys(p for p in parts if p))
    english = values.get("label_en") or values.get("name_en") or ""
    raw_slug = data.get("slug") if data.get("slug") not in (None, "") else (term.slug if term else english)
    slug = slugify(str(raw_slug))[:80]
    if not slug:
        c.add("slug", _("Enter a slug of letters, digits and hyphens, or an English label to make it from."))
    else:
        existing = get_term(vocabulary, slug)
        if existing is not None and (term is None or existing.id != term.id):
            c.add("slug", _("The slug %(slug)s is already used by another term of this vocabulary.", slug=slug))
    values["slug"] = slug
    if vocabulary == "place":
        values.update(_place_values(c, data, term))
    if c.errors:
        raise ValidationError(c.errors)
    return values


def _place_values(c: Collector, data: dict[str, Any], term: Term | None) -> dict[str, Any]:
    kind = str(data.get("kind") or getattr(term, "kind", "") or "").strip()
    if kind not in PLACE_KINDS:
        c.add("kind", _("Choose the kind of place: %(kinds)s.", kinds=", ".join(PLACE_KINDS)))
    raw_parent = str(data.get("parent") if "parent" in data else (term.parent.slug if term and term.parent
                                                                   else "") or "").strip()
    parent = None
    if raw_parent:
        parent = get_term("place", raw_parent)
        if parent is None or parent.kind != "province":
            c.add("parent", _("The parent %(value)s is not a province of the vocabulary.", value=repr(raw_parent[:60])))
            parent = None
        elif kind not in PARENTED_KINDS:
            c.add("parent", _("Only a city or a camp lies in a province; leave the parent empty."))
    return {"kind": kind, "parent": parent}


def _next_position(scheme: str) -> int:
    last = db.session.scalar(select(Category.position).where(Category.scheme == scheme)
                             .order_by(Category.position.desc()).limit(1))
    return (last or 0) + 1


def _forget_redirect(vocabulary: str, slug: str) -> None:
    """A live term now carries this slug: it no longer redirects."""
    db.session.execute(delete(VocabularyRedirect).where(VocabularyRedirect.vocabulary == vocabulary,
                                                        VocabularyRedirect.old_slug == slug))


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.slug if isinstance(value, Place) else value
    return {name: plain(value) for name, value in values.items()}
