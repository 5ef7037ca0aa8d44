"""services.themes: seeding, public testimonies, live figures, sources and curators' edits."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from archive.core.extensions import db
from archive.models import AuditEntry, Topic
from archive.models.themes import Theme
from archive.policy import access
from archive.themes import pages as themes
from archive.core.errors import ConflictError, ValidationError
from archive.statistics.figures import current_table
from archive.statistics.data import ARRIVALS, arrivals_total

SEED_SLUGS = ["north-korea-in-brief", "leaving-the-country", "punishment-of-families", "balloons-to-the-north",
              "overseas-labour", "notable-defectors"]


def get(slug: str) -> Theme:
    theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
    assert theme is not None
    return theme


def form_data(theme: Theme, **changes: Any) -> dict[str, Any]:
    data = {"title_en": theme.title_en, "title_ko": theme.title_ko, "summary_en": theme.summary_en,
            "summary_ko": theme.summary_ko, "body_en": theme.body_en, "body_ko": theme.body_ko,
            "sources": themes.format_sources(theme.sources), "position": theme.position,
            "topics": [t.slug for t in theme.topics], "statistics": list(theme.statistics_keys),
            "places": [p.slug for p in theme.places]}
    data.update(changes)
    return data


def test_seed_adds_the_six_themes_in_both_languages_with_sources(app: Flask) -> None:
    assert themes.seed_themes() == 6
    assert [t.slug for t in themes.list_themes()] == SEED_SLUGS
    for theme in themes.list_themes():
        assert theme.title_en and theme.title_ko and theme.body_en and theme.body_ko
        assert theme.summary_en and theme.summary_ko
        assert theme.sources and all(s["title"] and (s["author"] or s["publisher"]) for s in theme.sources)
        assert theme.topics, theme.slug
    assert {p.kind for p in get("punishment-of-families").places} == {"camp"}
    assert len(get("punishment-of-families").places) == 4
    assert [t.slug for t in get("notable-defectors").topics] == ["notable-defectors"]
    publishers = {s["publisher"] for t in themes.list_themes() for s in t.sources}
    assert {"Freedom House", "United Nations Human Rights Council", "United Nations General Assembly"} <= publishers


def test_new_topics_are_in_the_vocabulary(app: Flask) -> None:
    slugs = set(db.session.scalars(select(Topic.slug)))
    assert {"songbun", "family-punishment", "balloon-leaflets", "overseas-labour", "notable-defectors"} <= slugs
    assert {"famine", "diplomacy", "prison-camp"} <= slugs  # the old ones are still there


def test_seeding_again_never_overwrites_a_curators_edit(app: Flask) -> None:
    themes.seed_themes()
    theme = get("overseas-labour")
    themes.update_theme(theme, form_data(theme, title_en="Workers abroad"), theme.version)
    assert themes.seed_themes() == 0
    assert get("overseas-labour").title_en == "Workers abroad"
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 6


def test_arrivals_figure_is_rendered_live_from_the_statistics(app: Flask) -> None:
    themes.seed_themes()
    body = str(themes.render_body(get("leaving-the-country").body_en))
    total = arrivals_total(current_table(ARRIVALS))
    assert f"{total:,}" in body and "[[" not in body
    assert "end of 2024" in body
    korean = str(themes.render_body(get("leaving-the-country").body_ko, "ko"))
    assert f"{total:,}명" in korean and "2024년 말" in korean


def test_public_testimonies_follow_the_access_policy(app: Flask, factory: Any) -> None:
    themes.seed_themes()
    theme = get("overseas-labour")
    public = factory.testimony(title="Public logger", tags=["overseas-labour"])
    factory.testimony(title="Restricted logger", tags=["overseas-labour"], access="restricted")
    factory.testimony(title="Draft logger", tags=["overseas-labour"], status="draft")
    factory.testimony(title="Researchers logger", tags=["overseas-labour"], access="researchers")
    factory.testimony(title="Embargoed logger", tags=["overseas-labour"],
                      embargo_until=(access.today() + timedelta(days=30)).isoformat())
    factory.testimony(title="Untagged", tags=["famine"])
    found, count = themes.public_testimonies(theme)
    assert [t.id for t in found] == [public.id]
    assert count == 1
    assert themes.protected_count(count) is None  # shown as "fewer than 5"
    assert themes.protected_count(0) == 0 and themes.protected_count(5) == 5


def test_search_url_uses_the_tag_facet_for_every_topic(app: Flask) -> None:
    themes.seed_themes()
    assert themes.search_url(get("punishment-of-families")) == "/search?tag=family-punishment&tag=prison-camp"


def test_related_figures_come_from_the_current_tables(app: Flask) -> None:
    figures = themes.related_figures(["arrivals_by_year", "by_occupation_in_north", "employment_rates", "nonsense"])
    assert [f.key for f in figures] == ["arrivals_by_year", "by_occupation_in_north", "employment_rates"]
    assert figures[0].value == f"{arrivals_total(current_table(ARRIVALS)):,}"
    assert figures[0].anchor == "arrivals" and "Ministry of Unification" in figures[0].source
    assert all(f.as_of and f.value for f in figures)


def test_sources_round_trip_and_line_numbered_errors(app: Flask) -> None:
    text = ("UN | Report | United Nations | 2014 | https://example.org/r | 2026-11-24\n\n"
            "Freedom House | Freedom in the World | | 2024\n")
    sources = themes.parse_sources(text)
    assert sources[1] == {"author": "Freedom House", "title": "Freedom in the World", "publisher": "", "year": "2024",
                          "url": "", "accessed": ""}
    assert themes.parse_sources(themes.format_sources(sources)) == sources
    bad = ("A | Good title | P | 2020\n"
           "A | | P\n"
           "A | T | P | 20x0 | javascript:alert(1)\n"
           "a | b | c | d | e | f | g\n")
    with pytest.raises(ValidationError) as raised:
        themes.parse_sources(bad)
    messages = raised.value.errors["sources"]
    assert any(m.startswith("line 2: the title") for m in messages)
    assert any(m.startswith("line 3: the year") for m in messages)
    assert any(m.startswith("line 3: the URL") for m in messages)
    assert any(m.startswith("line 4: 7 fields") for m in messages)
    assert not any(m.startswith("line 1") for m in messages)


def test_update_is_audited_and_stale_versions_are_refused(app: Flask) -> None:
    themes.seed_themes()
    theme = get("balloons-to-the-north")
    version = theme.version
    themes.update_theme(theme, form_data(theme, summary_en="Changed summary", topics=["balloon-leaflets"]), version)
    assert theme.version == version + 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "theme.update"))
    assert entry is not None and entry.object_id == theme.id
    assert set(json.loads(entry.details)["changes"]) == {"summary_en", "topics"}
    with pytest.raises(ConflictError) as raised:
        themes.update_theme(theme, form_data(theme, summary_en="Mine"), version)
    assert raised.value.changes and raised.value.changes[0]["fields"] == ["summary_en", "topics"]
    db.session.rollback()
    assert get("balloons-to-the-north").summary_en == "Changed summary"


def test_invalid_edits_name_every_field_and_save_nothing(app: Flask) -> None:
    themes.seed_themes()
    theme = get("overseas-labour")
    with pytest.raises(ValidationError) as raised:
        themes.update_theme(theme, form_data(theme, title_en=" ", topics=["nope"], statistics=["secret"],
                                             places=["pyongyang-nowhere"], sources="X | | Y"), theme.version)
    assert set(raised.value.errors) == {"title_en", "topics", "statistics", "places", "sources"}
    db.session.rollback()
    assert get("overseas-labour").title_en == "Overseas labour"


def test_create_theme_checks_the_slug(app: Flask) -> None:
    themes.seed_themes()
    with pytest.raises(ValidationError) as raised:
        themes.create_theme({"slug": "overseas-labour", "title_en": "Again"})
    assert "already used" in raised.value.errors["slug"][0]
    db.session.rollback()
    with pytest.raises(ValidationError):
        themes.create_theme({"slug": "Bad Slug!", "title_en": "Bad"})
    db.session.rollback()
    theme = themes.create_theme({"slug": "hanawon", "title_en": "Hanawon", "topics": ["resettlement"]})
    assert theme.version == 1 and [t.slug for t in theme.topics] == ["resettlement"]


def test_seed_command_adds_the_themes_once(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["archive", "seed"])
    assert result.exit_code == 0, result.output
    assert "Themes: 6 added" in result.output
    result = runner.invoke(args=["archive", "seed"])
    assert "Themes: 0 added" in result.output
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 6
