"""The protected view: what each audience may see of one testimony, decided in one place."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from archive.core.extensions import db
from archive.policy import protected
from archive.policy.disclosure import Band, decade, five_years, parse_band

AUDIENCES = ("public", "researcher", "staff")
LABELS = ["Kim Chol-su", "KIM  chol su", "kimcholsu", "Narrator (Kim Chol-su)", "kim-chol-su, narrator"]


@pytest.fixture()
def labelled(app: Flask, factory: Any) -> Any:
    narrator = factory.narrator(pseudonym="Mr. Pine", real_name="Kim Chol-su", birth_year=1974,
                                origin_province="North Hamgyong", origin_place="Chongjin",
                                left_north_year=2007, arrived_south_year=2008)
    segments = [{"start": i * 2, "end": i * 2 + 2, "speaker": label, "text": f"line {i}"}
                for i, label in enumerate(LABELS)]
    segments += [{"start": 20, "end": 22, "speaker": "Interviewer", "text": "And then?"},
                 {"start": 22, "end": 24, "speaker": "Kim Chol-su", "text": "my brother stayed", "restricted": True}]
    return factory.testimony(narrator, segments=segments)


@pytest.mark.parametrize("audience", ["public", "researcher"])
def test_real_name_in_any_label_becomes_the_display_name(labelled: Any, audience: str) -> None:
    view = protected.audience_view(audience, labelled)
    assert view is not None
    speakers = [s.speaker for s in view.segments]
    assert speakers[:len(LABELS)] == ["Mr. Pine"] * len(LABELS)
    assert speakers[len(LABELS)] == "Interviewer"
    assert view.narrator.real_name is None


def test_staff_see_labels_and_real_name_as_stored(labelled: Any) -> None:
    view = protected.audience_view("staff", labelled)
    assert [s.speaker for s in view.segments][:len(LABELS)] == LABELS
    assert view.narrator.real_name == "Kim Chol-su"
    assert view.segments[-1].text == "my brother stayed"


@pytest.mark.parametrize("audience", ["public", "researcher"])
def test_restricted_passages_are_withheld(labelled: Any, audience: str) -> None:
    view = protected.audience_view(audience, labelled)
    last = view.segments[-1]
    assert last.withheld and last.text is None and last.restricted
    assert "my brother stayed" not in [s.text for s in view.readable_segments]


def test_no_transcript_or_chapters_without_consent_for_researchers_too(app: Flask, factory: Any) -> None:
    t = factory.testimony(access="researchers", consent_transcript=False,
                          segments=[{"start": 0, "end": 2, "speaker": "Narrator", "text": "secret words"}])
    from archive.curation.testimonies import set_chapters
    set_chapters(t, [{"start": 0, "title": "Chapter that describes the content"}], None)
    assert protected.audience_view("public", t) is None
    researcher = protected.audience_view("researcher", t)
    assert researcher is not None and researcher.segments == [] and researcher.chapters == []
    assert researcher.has_transcript and not researcher.can_read_transcript
    staff = protected.audience_view("staff", t)
    assert staff.segments[0].text == "secret words" and staff.chapters


@pytest.mark.parametrize("kind", ["draft", "restricted", "withdrawn"])
def test_hidden_testimonies_have_no_view_outside_staff(app: Flask, factory: Any, kind: str) -> None:
    values = {"draft": {"status": "draft"}, "restricted": {"access": "restricted"}, "withdrawn": {}}[kind]
    t = factory.testimony(**values)
    if kind == "withdrawn":
        from archive.curation.testimonies import withdraw_consent
        withdraw_consent(t, None)
    assert protected.audience_view("public", t) is None
    assert protected.audience_view("researcher", t) is None
    assert protected.audience_view("staff", t) is not None
    assert protected.testimony_view(None, t) is None


def test_profile_is_generalised_unless_consented(labelled: Any) -> None:
    profile = protected.audience_view("public", labelled).narrator
    assert (profile.birth, profile.left, profile.arrived) == (Band(1970, 1979), Band(2005, 2009), Band(2005, 2009))
    assert profile.home_province.slug == "north-hamgyong" and profile.home_place is None
    assert profile.generalised
    narrator = labelled.narrator
    narrator.exact_fields = ["birth_year", "home_place"]
    db.session.commit()
    assert protected.audience_view("public", labelled).narrator.birth == Band(1970, 1979)  # no consent yet
    narrator.consent_detailed_profile = True
    db.session.commit()
    profile = protected.audience_view("researcher", labelled).narrator
    assert profile.birth.label == "1974" and profile.home_place.slug == "chongjin"
    assert profile.left.label == "2005–2009"
    staff = protected.audience_view("staff", labelled).narrator
    assert (staff.birth.label, staff.left.label, staff.arrived.label) == ("1974", "2007", "2008")


def test_recordings_follow_audio_and_face_consent(app: Flask, factory: Any) -> None:
    import io

    from archive.curation.recordings import upload_recording
    from tests.sound import wav_bytes

    t = factory.testimony(consent_audio=False)
    upload_recording(t, io.BytesIO(wav_bytes(0.3)), "a.wav", None)
    public = protected.audience_view("public", t)
    assert public.recordings == [] and public.has_recording and not public.can_hear
    assert protected.audience_view("staff", t).recordings


def test_bands() -> None:
    assert decade(1974).label == "1970s" and five_years(2007).label == "2005–2009"
    assert five_years(2005) == Band(2005, 2009) and five_years(2004) == Band(2000, 2004)
    assert parse_band("2005-2009") == Band(2005, 2009) and parse_band("1970s") == Band(1970, 1979)
    assert parse_band("2007") == Band(2007, 2007, exact=True)
    assert parse_band("<h1>") is None and parse_band("1-99999") is None and decade(None) is None


def test_age_group_is_derived_from_the_shown_years_only(app: Flask, factory: Any) -> None:
    open_ended = factory.narrator(birth_year=1974, arrived_south_year=2008, left_north_year=2007)
    t = factory.testimony(open_ended)
    # Born in the 1970s and arrived in 2005–2009: aged 26 to 39, so no single age group is shown.
    assert protected.audience_view("public", t).narrator.age_group is None
    assert protected.audience_view("staff", t).narrator.age_group == "30-39"
    older = factory.narrator(birth_year=1944, arrived_south_year=2016, left_north_year=2015)
    # Born in the 1940s and arrived in 2015–2019: at least 66, which the shown years already say.
    assert protected.audience_view("public", factory.testimony(older)).narrator.age_group == "60+"
