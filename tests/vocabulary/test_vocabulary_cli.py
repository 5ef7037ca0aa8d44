"""The commands: `archive import --new-topics`, `archive export-vocabulary` and `archive import-vocabulary`."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from archive import models
from archive.core.extensions import db
from archive.core.vocabulary import find_place, find_topic
from archive.models import AuditEntry, Topic
from archive.vocabulary import terms


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def line(external_id: str, *tags: str, **more: Any) -> dict[str, Any]:
    return {"external_id": external_id, "title": f"Title {external_id}", "narrator": {"pseudonym": "Kim"},
            "tags": list(tags), **more}


def count_testimonies() -> int:
    return db.session.scalar(select(func.count()).select_from(models.Testimony))


def test_unknown_topics_are_refused_and_the_option_named(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "new.jsonl", [line("a-1", "famine", "Smuggled phones"), line("a-2", "Ghosts")])
    result = runner.invoke(args=["archive", "import", str(path)])
    assert result.exit_code == 1
    assert "line 1: tags: not in the topic vocabulary: 'Smuggled phones'" in result.output
    assert "2 tag(s) are not in the topic vocabulary; run again with --new-topics to add them" in result.output
    assert count_testimonies() == 0


def test_new_topics_are_listed_added_and_used(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "new.jsonl", [line("a-1", "famine", "Smuggled phones"),
                                                line("a-2", "smuggled phones", "Ghosts")])
    result = runner.invoke(args=["archive", "import", str(path), "--new-topics"])
    assert result.exit_code == 0, result.output
    assert "New topics (2)" in result.output
    assert "'Smuggled phones' (first on line 1)" in result.output and "'Ghosts' (first on line 2)" in result.output
    assert "Imported 2 new and updated 0 testimonies (0 unchanged), 2 new topics." in result.output
    phones = find_topic("smuggled-phones")
    assert phones.label_en == "Smuggled phones" and phones.label_ko == ""
    t = db.session.scalar(select(models.Testimony).where(models.Testimony.external_id == "a-2"))
    assert [x.slug for x in t.topics] == ["ghosts", "smuggled-phones"]
    added = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "vocabulary.add")).all()
    assert {json.loads(e.details)["source"] for e in added} == {"new.jsonl"}


def test_new_topics_wait_for_a_valid_file(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [line("a-1", "Ghosts"), line("a-2", "famine", interview_date="soon")])
    result = runner.invoke(args=["archive", "import", str(path), "--new-topics"])
    assert result.exit_code == 1 and "line 2: interview_date" in result.output
    assert find_topic("ghosts") is None and count_testimonies() == 0


def read_export(runner: FlaskCliRunner) -> list[dict[str, str]]:
    result = runner.invoke(args=["archive", "export-vocabulary", "-"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_export_then_import_changes_nothing(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    terms.add_term("place", {"name_en": "Waudo", "name_ko": "와우도", "kind": "city", "parent": "nampo"})
    terms.set_retired(find_topic("diplomacy"), True)
    path = tmp_path / "vocabulary.csv"
    result = runner.invoke(args=["archive", "export-vocabulary", str(path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {"vocabulary": "place", "slug": "waudo", "label_en": "Waudo", "label_ko": "와우도", "kind": "city",
            "parent": "nampo"}.items() <= next(r for r in rows if r["slug"] == "waudo").items()
    assert next(r for r in rows if r["slug"] == "diplomacy")["retired"] == "yes"
    assert len(rows) == sum(len(terms.terms(v)) for v in models.VOCABULARIES)
    result = runner.invoke(args=["archive", "import-vocabulary", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Vocabulary: 0 added, 0 changed, {len(rows)} unchanged." in result.output


def test_import_adds_and_renames_from_a_spreadsheet(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "edit.csv"
    path.write_text(
        "vocabulary,slug,label_en,label_ko,kind,parent,other_variants\n"
        "topic,smuggled-phones,Smuggled phones,밀수 휴대전화,,,\n"
        "topic,famine,Famine and hunger,기근,,,\n"
        "place,pungsan,Pungsan,풍산,city,ryanggang,Kimhyonggwon\n", encoding="utf-8")
    result = runner.invoke(args=["archive", "import-vocabulary", str(path)])
    assert result.exit_code == 0, result.output
    assert "Vocabulary: 2 added, 1 changed, 0 unchanged." in result.output
    assert find_topic("famine").label_en == "Famine and hunger"
    assert find_place("Kimhyonggwon", ("city",)).parent.slug == "ryanggang"


def test_a_bad_file_names_each_line_and_writes_nothing(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    before = db.session.scalar(select(func.count()).select_from(Topic))
    path = tmp_path / "bad.csv"
    path.write_text("vocabulary,slug,label_en,label_ko,kind\n"
                    "topic,new-one,New one,새 주제,\n"
                    "colour,red,Red,빨강,\n"
                    "place,atlantis,Atlantis,,island\n", encoding="utf-8")
    result = runner.invoke(args=["archive", "import-vocabulary", str(path)])
    assert result.exit_code == 1
    assert "2 problem(s); nothing was imported." in result.output
    assert "line 3: vocabulary: unknown vocabulary 'colour'" in result.output
    assert "line 4: kind: Choose the kind of place" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Topic)) == before
    path.write_bytes(b"vocabulary,slug\ntopic,\xff\n")
    result = runner.invoke(args=["archive", "import-vocabulary", str(path)])
    assert result.exit_code == 1 and "line 2: the file is not valid UTF-8 text" in result.output


def test_seeding_again_does_not_bring_back_a_merged_or_renamed_term(app: Flask, runner: FlaskCliRunner) -> None:
    terms.merge_terms(find_topic("brokers"), find_topic("human-trafficking"))
    terms.update_term(find_place("Chongjin", ("city",)), {"slug": "chongjin-city"})
    result = runner.invoke(args=["archive", "seed"])
    assert result.exit_code == 0, result.output
    assert "Vocabulary: 0 places, 0 categories, 0 topics added." in result.output
    assert find_topic("brokers").slug == "human-trafficking"
