"""Vocabulary services: add, rename, merge and retire topics, places and categories, audited and indexed."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.core.errors import ConflictError, ValidationError
from archive.core.extensions import db
from archive.core.vocabulary import find_category, find_place, find_topic
from archive.curation import testimonies as testimony_service
from archive import models
from archive.models import AuditEntry, Narrator, Place, Topic
from archive.search.sync import engine
from archive.vocabulary import terms


def tagged(slug: str) -> set[int]:
    """Ids of the testimonies the public index finds under a topic facet."""
    from archive.search.requests import parse_request

    return {hit.id for hit in engine().search(parse_request({"tag": slug, "per_page": "100"}, None)).hits}


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_add_a_topic_in_both_languages(app: Flask) -> None:
    topic = terms.add_term("topic", {"label_en": "Smuggled phones", "label_ko": "밀수 휴대전화"})
    assert topic.slug == "smuggled-phones" and topic.label_ko == "밀수 휴대전화"
    assert find_topic("밀수 휴대전화") == topic
    [entry] = actions("vocabulary.add")
    assert entry.object_type == "topic" and json.loads(entry.details)["changes"]["label_en"] == "Smuggled phones"


def test_every_problem_is_named_at_once(app: Flask) -> None:
    with pytest.raises(ValidationError) as caught:
        terms.add_term("place", {"name_en": "", "name_ko": "", "kind": "planet", "slug": "famine",
                                 "parent": "china"})
    errors = caught.value.errors
    assert set(errors) == {"name_en", "kind", "parent"}
    with pytest.raises(ValidationError) as caught:
        terms.add_term("topic", {"label_en": "Famine again", "label_ko": "기근", "slug": "famine"})
    assert caught.value.errors == {"slug": ["The slug famine is already used by another term of this vocabulary."]}
    assert actions("vocabulary.add") == []


def test_a_place_with_its_spellings_and_province(app: Flask) -> None:
    place = terms.add_term("place", {
        "name_en": "Kimhyonggwon", "name_ko": "김형권", "mccune_reischauer": "Kimhyŏnggwŏn",
        "revised_romanization": "Gimhyeonggwon", "other_variants": "Kim Hyong Gwon\nPungsan", "kind": "city",
        "parent": "ryanggang"})
    assert place.parent.slug == "ryanggang" and place.other_variants == "Kim Hyong Gwon|Pungsan"
    assert find_place("Gimhyeonggwon", ("city",)) == place and find_place("pungsan", ("city",)) == place
    with pytest.raises(ValidationError) as caught:
        terms.update_term(place, {"kind": "country"})
    assert "parent" in caught.value.errors


def test_rename_keeps_the_old_slug_and_reindexes(app: Flask, factory: Any) -> None:
    t = factory.testimony(tags=["brokers"])
    assert tagged("brokers") == {t.id}
    topic = find_topic("brokers")
    changes = terms.update_term(topic, {"slug": "smugglers", "label_en": "Smugglers and brokers"})
    assert changes["slug"] == ["brokers", "smugglers"]
    assert tagged("smugglers") == {t.id} and tagged("brokers") == set()
    assert terms.redirect_target("topic", "brokers") == topic
    assert find_topic("brokers") == topic  # old import files keep working
    [entry] = actions("vocabulary.edit")
    assert json.loads(entry.details)["changes"]["label_en"] == ["Brokers", "Smugglers and brokers"]


def test_merge_retags_every_testimony_and_redirects(app: Flask, factory: Any) -> None:
    both = factory.testimony(tags=["brokers", "human-trafficking"])
    one = factory.testimony(tags=["brokers"])
    other = factory.testimony(tags=["famine"])
    versions = {t.id: t.version for t in (both, one)}
    source, target = find_topic("brokers"), find_topic("human-trafficking")
    retagged = terms.merge_terms(source, target)
    assert retagged == sorted([both.id, one.id])
    db.session.expire_all()
    for t in (both, one):
        assert [x.slug for x in db.session.get(models.Testimony, t.id).topics] == ["human-trafficking"]
        assert db.session.get(models.Testimony, t.id).version == versions[t.id] + 1
    assert db.session.scalar(select(Topic).where(Topic.slug == "brokers")) is None
    assert tagged("human-trafficking") == {both.id, one.id} and tagged("famine") == {other.id}
    assert terms.redirect_target("topic", "brokers").slug == "human-trafficking"
    [merge] = actions("vocabulary.merge")
    assert json.loads(merge.details)["testimonies"] == sorted([both.id, one.id])
    assert {e.object_id for e in actions("vocabulary.retag")} == {both.id, one.id}
    # A form opened before the merge cannot put the old tags back.
    with pytest.raises(ConflictError):
        testimony_service.set_topics(db.session.get(models.Testimony, one.id), ["famine"], versions[one.id])


def test_merging_a_renamed_term_moves_its_redirects(app: Flask, factory: Any) -> None:
    topic = find_topic("religion")
    terms.update_term(topic, {"slug": "faith"})
    terms.merge_terms(topic, find_topic("resettlement"))
    assert terms.redirect_target("topic", "religion").slug == "resettlement"
    assert terms.redirect_target("topic", "faith").slug == "resettlement"


def test_merge_places_moves_route_narrators_children_and_spellings(app: Flask, factory: Any) -> None:
    narrator = factory.narrator(origin_province="Nampo", origin_place="Nampo")
    t = factory.testimony(narrator, route=[{"country": "Burma", "event": "transit"}])
    city = terms.add_term("place", {"name_en": "Waudo", "name_ko": "와우도", "kind": "city", "parent": "nampo"})
    source, target = find_place("Nampo", ("province",)), find_place("South Pyongan", ("province",))
    terms.merge_terms(source, target)
    db.session.expire_all()
    n = db.session.get(Narrator, narrator.id)
    assert n.origin_province.slug == "south-pyongan" and n.origin_place.slug == "south-pyongan"
    assert db.session.get(Place, city.id).parent.slug == "south-pyongan"
    assert find_place("Namph'o", ("province",)).slug == "south-pyongan"
    with pytest.raises(ValidationError):
        terms.merge_terms(find_place("Myanmar", ("country",)), find_place("Pyongyang", ("province",)))
    assert db.session.get(models.Testimony, t.id).route[0].country.slug == "myanmar"


def test_merge_categories_retags_narrators(app: Flask, factory: Any) -> None:
    narrator = factory.narrator(occupation="Workers")
    source, target = find_category("occupation", "Workers"), find_category("occupation", "Military")
    version = narrator.version
    terms.merge_terms(source, target)
    db.session.expire_all()
    assert db.session.get(Narrator, narrator.id).occupation_id == target.id
    assert db.session.get(Narrator, narrator.id).version == version + 1
    with pytest.raises(ValidationError) as caught:
        terms.merge_terms(target, target)
    assert caught.value.errors == {"target": ["A term cannot be merged into itself; choose another one."]}
    with pytest.raises(ValidationError):
        terms.merge_terms(target, terms.terms("education")[0])


def test_a_retired_topic_stays_but_is_not_given_again(app: Flask, factory: Any) -> None:
    t = factory.testimony(tags=["diplomacy"])
    terms.set_retired(find_topic("diplomacy"), True)
    assert [e.action for e in actions("vocabulary.retire")] == ["vocabulary.retire"]
    t = db.session.get(models.Testimony, t.id)
    testimony_service.set_topics(t, ["diplomacy", "famine"], t.version)  # kept where it was
    with pytest.raises(ValidationError) as caught:
        factory.testimony(tags=["diplomacy"])
    assert caught.value.errors == {"tags": ["retired from the topic vocabulary: 'diplomacy'"]}
    terms.set_retired(find_topic("diplomacy"), False)
    factory.testimony(tags=["diplomacy"])
