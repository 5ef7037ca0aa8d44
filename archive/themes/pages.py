"""Context themes: seeding, the public theme pages and curators' edits (the only code that commits them).

A theme's testimonies are the published public ones tagged with any of its topics, chosen by the
access policy for the anonymous audience whoever is looking, so a theme page is the same public
surface for everyone; their number is shown as "fewer than 5" when small (archive/policy/small_counts.py).
Figures come live from the statistics service: the body may say ``[[arrivals_total]]`` and
``[[arrivals_as_of]]``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import abort
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from archive.core.extensions import db
from archive.core.i18n import number
from archive.models import Narrator, Place, Testimony, Topic
from archive.models.themes import Theme
from archive.formats.sanitize import clean_html
from archive.policy import access, protected
from archive.policy.protected import TestimonyView
from archive.core import audit, saving
from archive.core.errors import ValidationError
from archive.policy.small_counts import withheld
from archive.statistics.figures import current_table
from archive.statistics.data import ARRIVALS, arrivals_total, dataset_keys, peak_year

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "themes.json"
SOURCE_FIELDS = ("author", "title", "publisher", "year", "url", "accessed")
SOURCE_FORMAT = "Author | Title | Publisher | Year | URL | Accessed (YYYY-MM-DD)"
PLACE_KINDS = ("camp", "province")  # the kinds that have a place page
MAX_THEME_TESTIMONIES = 12
MAX_SOURCES = 50
TEXT_LIMITS = {"title_en": 200, "title_ko": 200, "summary_en": 2_000, "summary_ko": 2_000,
               "body_en": 100_000, "body_ko": 100_000}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_YEAR = re.compile(r"^(?:1[5-9]|20)[0-9]{2}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLACEHOLDER = re.compile(r"\[\[(arrivals_total|arrivals_as_of)\]\]")
# The element ids of the statistics page's charts (see services.statistics).
CHART_ANCHORS = {ARRIVALS: "arrivals", "by_age_at_entry": "age", "by_occupation_in_north": "occupation",
                 "by_education": "education", "by_home_province": "province", "by_residence_in_south": "residence",
                 "employment_rates": "employment"}


# --- seeding ---------------------------------------------------------------------------

def seed_themes() -> int:
    """Add the bundled themes that are missing; a theme that exists (perhaps edited) is left alone."""
    with open(SEED_FILE, encoding="utf-8") as handle:
        seeds = json.load(handle)["themes"]
    existing = set(db.session.scalars(select(Theme.slug)))
    added = 0
    for seed in seeds:
        if seed["slug"] in existing:
            continue
        theme = Theme(slug=seed["slug"], position=seed["position"], sources=list(seed["sources"]),
                      statistics_keys=[k for k in seed["statistics"] if k in dataset_keys()],
                      **{name: seed[name] for name in TEXT_LIMITS})
        theme.topics = list(db.session.scalars(select(Topic).where(Topic.slug.in_(seed["topics"]))))
        theme.places = list(db.session.scalars(select(Place).where(Place.slug.in_(seed["places"]))))
        db.session.add(theme)
        db.session.flush()
        audit.record("theme.seed", theme, {"slug": theme.slug}, version=theme.version)
        added += 1
    db.session.commit()
    return added


# --- reading ---------------------------------------------------------------------------

def list_themes() -> list[Theme]:
    """Every theme in curated order."""
    return list(db.session.scalars(select(Theme).options(selectinload(Theme.topics))
                                   .order_by(Theme.position, Theme.slug)))


def theme_or_404(slug: str) -> Theme:
    """A theme by slug, or the site's 404 page."""
    theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
    if theme is None:
        abort(404)
    return theme


def interface_locale() -> str:
    """The interface language of this request, "ko" or "en"."""
    locale = get_locale()
    return "ko" if locale is not None and locale.language == "ko" else "en"


def localized(theme: Theme, field: str, locale: str) -> tuple[str, str | None]:
    """(text, lang) of a bilingual field: Korean when asked for and written, else English marked lang="en"."""
    if locale == "ko":
        korean = getattr(theme, f"{field}_ko") or ""
        if korean.strip():
            return korean, None
        return getattr(theme, f"{field}_en"), "en"
    return getattr(theme, f"{field}_en"), None


def _public_condition(theme: Theme) -> Any:
    topic_ids = [topic.id for topic in theme.topics]
    return and_(access.visible_filter(None), Testimony.topics.any(Topic.id.in_(topic_ids)))


def public_testimonies(theme: Theme, limit: int = MAX_THEME_TESTIMONIES) -> tuple[list[TestimonyView], int]:
    """The public testimonies tagged with the theme's topics (at most `limit`, as the public's protected
    views, whoever is looking) and how many there are."""
    if not theme.topics:
        return [], 0
    condition = _public_condition(theme)
    count = db.session.scalar(select(func.count(Testimony.id)).where(condition)) or 0
    rows = db.session.scalars(
        select(Testimony).where(condition)
        .options(selectinload(Testimony.narrator).selectinload(Narrator.origin_province),
                 selectinload(Testimony.topics), selectinload(Testimony.recordings))
        .order_by(Testimony.featured.desc(), Testimony.published_at.desc(), Testimony.id.desc()).limit(limit))
    views = [protected.audience_view(access.PUBLIC, t) for t in rows]
    return [v for v in views if v is not None], count


def protected_count(count: int) -> int | None:
    """The count as the public may see it: None stands for "fewer than 5"."""
    return None if withheld(count) else count


def search_url(theme: Theme) -> str:
    """The search page filtered on the theme's topics (the `tag` facet; several values match any)."""
    return "/search?" + urlencode([("tag", topic.slug) for topic in theme.topics])


@dataclass
class Figure:
    """One related figure from the official statistics, with its source."""

    key: str
    title: str
    value: str
    detail: str
    source: str
    as_of: str
    anchor: str
    source_lang: str = "en"


def related_figures(keys: list[str], locale: str = "en") -> list[Figure]:
    """Headline figures of the given statistics tables, from their current versions."""
    figures = []
    for key in keys:
        if key not in dataset_keys():
            continue
        table = current_table(key)
        title = table.title_ko if locale == "ko" and table.title_ko else table.title
        if key == ARRIVALS:
            year, peak = peak_year(table)
            value = number(arrivals_total(table))
            detail = _("Arrivals peaked in %(year)s, with %(count)s people.", year=year, count=number(peak))
        elif key == "employment_rates":
            latest = table.rows[-1]
            value = f"{number(latest['employment_rate_pct'])}%"
            detail = _("Employment rate of defectors in %(year)s.", year=latest["year"])
        else:
            rows = [(row, int(row["male"]) + int(row["female"])) for row in table.rows]  # type: ignore[call-overload]
            total = sum(n for _row, n in rows)
            top, top_n = max(rows, key=lambda pair: pair[1])
            label = str(top.get("category_ko") or top["category"]) if locale == "ko" else str(top["category"])
            value = number(top_n)
            detail = _("Largest group: %(label)s, %(share)s%% of %(total)s people.", label=label,
                       share=round(100 * top_n / total) if total else 0, total=number(total))
        source, source_lang = (table.source_ko, "ko") if locale == "ko" and table.source_ko else (table.source, "en")
        figures.append(Figure(key, title, value, detail, source, _as_of(table.as_of, locale),
                              CHART_ANCHORS.get(key, ""), source_lang))
    return figures


def _as_of(text: str, locale: str) -> str:
    if locale != "ko":
        return text
    match = re.fullmatch(r"(end of|late|mid-|early) ?([0-9]{4})", text.strip())
    if match is None:
        return text
    return f"{match.group(2)}년 " + {"end of": "말", "late": "하반기", "mid-": "중반", "early": "초"}[match.group(1)]


def render_body(html: str, locale: str = "en") -> Markup:
    """Sanitize the curator's HTML, then put in the live figures it refers to."""
    cleaned = str(clean_html(html))
    if not _PLACEHOLDER.search(cleaned):
        return Markup(cleaned)
    table = current_table(ARRIVALS)
    values = {"arrivals_total": number(arrivals_total(table)), "arrivals_as_of": _as_of(table.as_of, locale)}
    return Markup(_PLACEHOLDER.sub(lambda m: str(escape(values[m.group(1)])), cleaned))


def place_choices() -> list[Place]:
    """Places that have a page and can be linked from a theme: camps first, then provinces."""
    return list(db.session.scalars(select(Place).where(Place.kind.in_(PLACE_KINDS))
                                   .order_by(Place.kind, Place.name_en)))


# --- sources ---------------------------------------------------------------------------

def parse_sources(text: str) -> list[dict[str, str]]:
    """Read one citation per line ("Author | Title | Publisher | Year | URL | Accessed"); blank lines are skipped.

    Raises ValidationError on the `sources` field naming every bad line.
    """
    sources: list[dict[str, str]] = []
    problems: list[str] = []
    for line_no, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(SOURCE_FIELDS):
            problems.append(_("line %(line)s: %(problem)s", line=line_no, problem=_(
                "%(count)s fields separated by “|”; at most %(max)s are expected (%(format)s)", count=len(parts),
                max=len(SOURCE_FIELDS), format=SOURCE_FORMAT)))
            continue
        source = dict(zip(SOURCE_FIELDS, parts + [""] * (len(SOURCE_FIELDS) - len(parts)), strict=True))
        line_problems = _source_problems(source)
        problems += [_("line %(line)s: %(problem)s", line=line_no, problem=problem) for problem in line_problems]
        if not line_problems:
            sources.append(source)
    if len(sources) > MAX_SOURCES:
        problems.append(_("at most %(max)s sources may be listed", max=MAX_SOURCES))
    if problems:
        raise ValidationError({"sources": problems})
    return sources


def _source_problems(source: dict[str, str]) -> list[str]:
    problems = []
    if not source["title"]:
        problems.append(_("the title (second field) is missing"))
    if not source["author"] and not source["publisher"]:
        problems.append(_("give an author (first field) or a publisher (third field)"))
    if source["year"] and not _YEAR.match(source["year"]):
        problems.append(_("the year (fourth field) %(value)s is not a four-digit year", value=repr(source["year"])))
    if source["url"]:
        parts = urlsplit(source["url"])
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in source["url"]):
            problems.append(_("the URL (fifth field) %(value)s must start with http:// or https://",
                              value=repr(source["url"])))
    if source["accessed"] and not _DATE.match(source["accessed"]):
        problems.append(_("the access date (sixth field) %(value)s must be written YYYY-MM-DD",
                          value=repr(source["accessed"])))
    for name, value in source.items():
        if len(value) > 1_000:
            problems.append(_("the %(field)s is longer than 1,000 characters", field=name))
    return problems


def format_sources(sources: list[dict[str, Any]]) -> str:
    """The sources as the curator form shows them, one line each, trailing empty fields dropped."""
    lines = []
    for source in sources or []:
        fields = [str(source.get(name) or "") for name in SOURCE_FIELDS]
        while fields and not fields[-1]:
            fields.pop()
        lines.append(" | ".join(fields))
    return "\n".join(lines)


# --- curators' edits -------------------------------------------------------------------

def theme_values(data: dict[str, Any], *, creating: bool = False) -> dict[str, Any]:
    """Check a theme's fields and resolve its vocabulary links; raise ValidationError listing every problem."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if creating:
        slug = str(data.get("slug") or "").strip().lower()
        if not _SLUG.match(slug) or len(slug) > 80:
            errors["slug"] = [_("use lower-case letters, digits and single hyphens (e.g. overseas-labour), "
                                "at most 80 characters")]
        elif db.session.scalar(select(Theme.id).where(Theme.slug == slug)) is not None:
            errors["slug"] = [_("%(slug)s is already used by another theme", slug=repr(slug))]
        values["slug"] = slug
    for name, limit in TEXT_LIMITS.items():
        value = str(data.get(name) or "").replace("\r\n", "\n").strip()
        if len(value) > limit:
            errors.setdefault(name, []).append(_("is %(length)s characters long; at most %(max)s are allowed",
                                                 length=number(len(value)), max=number(limit)))
        values[name] = value
    if not values["title_en"]:
        errors.setdefault("title_en", []).append(_("is required"))
    try:
        values["position"] = int(data.get("position") or 0)
        if not 0 <= values["position"] <= 10_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["position"] = [_("must be a whole number from 0 to 10,000")]
    sources = data.get("sources") or ""
    try:
        values["sources"] = parse_sources(sources) if isinstance(sources, str) else list(sources)
    except ValidationError as error:
        errors.update(error.errors)
    topic_slugs = list(dict.fromkeys(data.get("topics") or []))
    topics = list(db.session.scalars(select(Topic).where(Topic.slug.in_(topic_slugs)))) if topic_slugs else []
    unknown = sorted(set(topic_slugs) - {t.slug for t in topics})
    if unknown:
        errors["topics"] = [_("unknown topic(s): %(names)s", names=", ".join(unknown))]
    values["topics"] = sorted(topics, key=lambda t: t.slug)
    keys = list(dict.fromkeys(data.get("statistics") or []))
    unknown = [k for k in keys if k not in dataset_keys()]
    if unknown:
        errors["statistics"] = [_("unknown statistics table(s): %(names)s", names=", ".join(unknown))]
    values["statistics_keys"] = keys
    place_slugs = list(dict.fromkeys(data.get("places") or []))
    places = list(db.session.scalars(select(Place).where(Place.slug.in_(place_slugs), Place.kind.in_(PLACE_KINDS)))
                  ) if place_slugs else []
    unknown = sorted(set(place_slugs) - {p.slug for p in places})
    if unknown:
        errors["places"] = [_("not a camp or province with a place page: %(names)s", names=", ".join(unknown))]
    values["places"] = sorted(places, key=lambda p: p.name_en)
    if errors:
        raise ValidationError(errors)
    return values


def _apply(theme: Theme, values: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        if name in ("topics", "places"):
            old_slugs, new_slugs = [x.slug for x in getattr(theme, name)], [x.slug for x in new]
            if sorted(old_slugs) != sorted(new_slugs):
                changes[name] = [old_slugs, new_slugs]
                setattr(theme, name, new)
        elif getattr(theme, name) != new:
            # Long HTML is not copied into the audit log; the field name says what changed.
            changes[name] = ["…", "…"] if name.startswith("body_") else [getattr(theme, name), new]
            setattr(theme, name, new)
    return changes


def create_theme(data: dict[str, Any], actor: Any = None) -> Theme:
    """Create a theme from the curator form."""
    values = theme_values(data, creating=True)
    theme = Theme(slug=values.pop("slug"), sources=[], statistics_keys=[])
    db.session.add(theme)
    changes = _apply(theme, values)
    return saving.save(theme, "theme.create", changes, actor)


def update_theme(theme: Theme, data: dict[str, Any], expected_version: int | None, actor: Any = None) -> Theme:
    """Save a curator's edit of a theme, refusing stale forms (core/saving.py)."""
    saving.check_version(theme, expected_version)
    values = theme_values(data)
    changes = _apply(theme, values)
    if not changes:
        return theme
    return saving.save(theme, "theme.update", changes, actor)
