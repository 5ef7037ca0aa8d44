"""The sensitive-term scan: where it looks, how it matches, what counts as resolved, and the term list."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from archive import models as m
from archive.core.extensions import db
from archive.curation import sensitive
from archive.curation import testimonies as testimony_service
from archive.core.errors import ConflictError, ValidationError

REAL = "Kim Chol-su"


@pytest.fixture()
def tempting(factory: Any) -> m.Testimony:
    """A testimony naming a relative and a unit everywhere it can, and the narrator by real name."""
    narrator = factory.narrator(real_name=REAL, pseudonym="Mr. Pine")
    t = factory.testimony(
        narrator, title="Letters to Young-hee", summary="<p>About her sister <b>PARK  young hee</b>.</p>",
        segments=[
            {"start": 0, "end": 5, "speaker": "Interviewer", "text": "Tell me about your family."},
            {"start": 5, "end": 12, "speaker": "KIM CHOL SU", "text": "My sister Park Young-hee stayed in Unit 10215."},
            {"start": 12, "end": 20, "speaker": "Kim Chol-su", "text": "[restricted] Park Younghee was arrested."},
            {"start": 20, "end": 30, "speaker": "Narrator", "text": "Everyone called me kimcholsu at school."},
            {"start": 30, "end": 40, "speaker": "Narrator", "text": "박영희가 그 부대에 있었어요. Not unit 102150."},
        ],
        route=[{"country": "china", "place": "Yanji", "year": 2008},
               {"country": "china", "place": "Near Unit 10215", "year": 2009}],
    )
    testimony_service.set_chapters(t, [{"start": 0, "title": "Family", "synopsis": "Young-hee Park and the unit",
                                        "keywords": "sister, 박영희"}], None)
    sensitive.add_term(t, "Park Young-hee", "the narrator's sister")
    sensitive.add_term(t, "Unit 10215")
    sensitive.add_term(t, "박영희")
    return t


def places(hits: list[sensitive.Hit]) -> list[tuple[str, int | None, str]]:
    return [(h.place, h.number, h.match) for h in hits]


def test_scan_finds_terms_everywhere_the_public_could_read_them(tempting: m.Testimony) -> None:
    scan = sensitive.scan(tempting)
    unresolved = places(scan.unresolved)
    assert ("summary", None, "PARK young hee") in unresolved  # plain text of the HTML, any case and spacing
    assert ("transcript", 2, "Park Young-hee") in unresolved
    assert ("transcript", 2, "Unit 10215") in unresolved
    assert ("transcript", 4, "kimcholsu") in unresolved  # the real name is checked without being listed
    assert ("transcript", 5, "박영희") in unresolved  # Hangul as a substring, particle attached
    assert ("chapter", 1, "박영희") in unresolved and ("route", 2, "Unit 10215") in unresolved
    # Word boundaries for Latin ends: "unit 102150" is another number, "Yanji" no name.
    assert not any(h.match.lower() == "unit 10215" and h.number == 5 for h in scan.hits)
    assert not any(h.place == "route" and h.number == 1 for h in scan.hits)
    assert not scan.clean


def test_a_term_spelled_differently_is_still_found(tempting: m.Testimony) -> None:
    # "Young-hee Park" is another word order: not the listed term, so not a hit; its pieces alone are not terms.
    scan = sensitive.scan(tempting)
    assert not any(h.place == "chapter" and h.match.startswith("Young") for h in scan.hits)
    sensitive.add_term(tempting, "young hee park")
    assert any(h.place == "chapter" and h.match == "Young-hee Park" for h in sensitive.scan(tempting).unresolved)


def test_restricted_passages_and_real_name_labels_do_not_block(tempting: m.Testimony) -> None:
    scan = sensitive.scan(tempting)
    restricted = [h for h in scan.restricted]
    assert [(h.place, h.number, h.match) for h in restricted] == [("transcript", 3, "Park Younghee")]
    handled = places(scan.handled)
    assert ("speaker", 2, "KIM CHOL SU") in handled and ("speaker", 3, "Kim Chol-su") in handled
    assert all(h.term.implicit for h in scan.handled)
    assert not any(h.place == "speaker" for h in scan.unresolved)


def test_a_listed_term_in_a_speaker_label_is_unresolved(factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 3, "speaker": "Park Young-hee", "text": "Hello."}])
    sensitive.add_term(t, "Park Young-hee")
    assert places(sensitive.scan(t).unresolved) == [("speaker", 1, "Park Young-hee")]


def test_hits_say_where_they_stand(tempting: m.Testimony) -> None:
    wheres = {h.where for h in sensitive.scan(tempting).unresolved}
    assert {"summary", "passage 2 at 0:05", "chapter 1", "route stop 2"} <= wheres
    hit = next(h for h in sensitive.scan(tempting).unresolved if h.place == "transcript" and h.number == 2)
    assert hit.before.endswith("My sister ") and hit.after.startswith(" stayed")


def test_restricting_the_passages_makes_the_transcript_clean(tempting: m.Testimony) -> None:
    for hit in sensitive.scan(tempting).unresolved:
        if hit.place == "transcript":
            segment = db.session.get(m.Segment, hit.segment_id)
            if not segment.restricted:
                sensitive.restrict_passage(tempting, segment, tempting.version)
    left = sensitive.scan(tempting).unresolved
    assert {h.place for h in left} == {"summary", "chapter", "route"}
    entries = db.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "testimony.segment")).all()
    assert len(entries) == 3
    assert any("segment 2.restricted" in json.loads(e.details)["changes"] for e in entries)


def test_restrict_passage_checks_the_version(tempting: m.Testimony) -> None:
    segment = tempting.segments[1]
    stale = tempting.version
    testimony_service.update_testimony(tempting, {"title": "Renamed"}, stale)
    with pytest.raises(ConflictError):
        sensitive.restrict_passage(tempting, segment, stale)
    db.session.rollback()
    assert db.session.get(m.Segment, segment.id).restricted is False


def test_restrict_passage_refuses_another_testimonys_segment(tempting: m.Testimony, factory: Any) -> None:
    other = factory.testimony(segments=[{"start": 0, "end": 2, "text": "Other"}])
    with pytest.raises(ValidationError):
        sensitive.restrict_passage(tempting, other.segments[0], tempting.version)


def test_no_real_name_no_implicit_term(factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 2, "text": "Nothing to see."}])
    assert sensitive.scan(t).terms == [] and sensitive.scan(t).clean


# --- the term list ------------------------------------------------------------------------------------

def test_adding_a_term_is_audited_without_the_term(tempting: m.Testimony) -> None:
    entries = db.session.scalars(select(m.AuditEntry).where(
        m.AuditEntry.action == "testimony.sensitive_term_added").order_by(m.AuditEntry.id)).all()
    assert len(entries) == 3
    for entry in entries:
        text = entry.details
        assert "Young" not in text and "10215" not in text and "박영희" not in text and "sister" not in text
        assert json.loads(text)["term_id"]
    term = tempting.sensitive_terms[0]
    sensitive.remove_term(tempting, term.id)
    removed = db.session.scalars(select(m.AuditEntry).where(
        m.AuditEntry.action == "testimony.sensitive_term_removed")).one()
    assert json.loads(removed.details) == {"term_id": term.id, "terms": 2}
    assert "Park Young-hee" not in [t.term for t in tempting.sensitive_terms]


@pytest.mark.parametrize(("term", "problem"), [
    ("", "is required"), ("  ", "is required"), ("K", "at least 2 letters"), ("- . -", "at least 2 letters"),
    ("park young HEE", "already listed"), ("kim cholsu", "real name"), ("x" * 201, "at most 200"),
])
def test_bad_terms_are_refused_with_a_reason(tempting: m.Testimony, term: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        sensitive.add_term(tempting, term)
    assert problem in caught.value.errors["term"][0]
    db.session.rollback()
    assert len(tempting.sensitive_terms) == 3


def test_removing_an_unknown_term_says_so(tempting: m.Testimony, factory: Any) -> None:
    other = factory.testimony()
    row = sensitive.add_term(other, "Somewhere")
    with pytest.raises(ValidationError, match="not listed"):
        sensitive.remove_term(tempting, row.id)


def test_matching_rules() -> None:
    pattern = sensitive.term_pattern("Ri Su")
    assert pattern is not None
    assert pattern.search("RI-SU came") and pattern.search("risu") and pattern.search("Ｒｉ Ｓｕ") is None
    assert sensitive.find("Ｒｉ Ｓｕ came", pattern)[0][1] == "Ri Su"  # NFKC: full-width letters count
    assert not pattern.search("Ari Sung") and not pattern.search("rising")
    hangul = sensitive.term_pattern("김 철수")
    assert hangul is not None and hangul.search("김철수가 왔다") and hangul.search("아저씨김철수")
    assert sensitive.term_pattern("-- ..") is None
