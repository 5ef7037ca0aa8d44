"""A planted archive: unique marker strings in every place the public must never see.

Each marker is two random words, a *key* (what probes search for) and a *proof* written right
after it. A response leaks if it contains any proof, or any key other than those the request
itself carries (search pages echo the query). Words are random consonants so no analyzer stems,
splits or corrects them into something else.
"""
from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import g
from flask.testing import FlaskClient

from tests.sound import wav_bytes
from archive.models import Narrator, Testimony, User
from archive.core.extensions import db
from archive.curation import recordings
from archive.core import dispatch
from archive.curation import testimonies
from archive.accounts import users
from archive.curation import narrators as narrator_service
from archive.themes import pages as theme_service
from archive.policy.access import today
from archive.formats.transcripts import parse_transcript

PASSWORD = "leak-probe password 1"
ROLES = ("anonymous", "unapproved", "researcher")
# Hidden testimonies by how they are hidden; "researchers" is hidden from anonymous visitors only.
HIDDEN_KINDS = ("restricted", "draft", "embargoed", "withdrawn", "researchers")
_LETTERS = "bcdfghjklmnpqrtvwxz"


@dataclass(frozen=True)
class Marker:
    """One planted secret: where it is, and who may legitimately see it."""

    kind: str
    place: str
    key: str
    proof: str
    visible_to: frozenset[str]  # roles of ROLES allowed to see it (staff see everything)

    @property
    def text(self) -> str:
        return f"{self.key} {self.proof}"

    def __str__(self) -> str:
        return f"{self.kind}/{self.place}"


@dataclass
class World:
    """Everything planted, with ids for probing routes."""

    markers: list[Marker] = field(default_factory=list)
    testimony_ids: dict[str, int] = field(default_factory=dict)  # label -> id
    narrator_ids: dict[str, int] = field(default_factory=dict)
    recording_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    common_words: tuple[str, ...] = ("tumen", "river", "crossing", "market", "famine")
    hidden_tag: str = "human-trafficking"
    hidden_country: str = "Mongolia"

    def forbidden_for(self, role: str) -> list[Marker]:
        """Markers this role must never see."""
        return [m for m in self.markers if role not in m.visible_to]

    def hidden_testimonies(self, role: str) -> list[int]:
        """Testimony ids that must answer like missing ones for this role."""
        hidden = [self.testimony_ids[k] for k in HIDDEN_KINDS if k != "researchers"] + [
            self.testimony_ids["restricted-shared"]]
        if role != "researcher":
            hidden += [self.testimony_ids["researchers"], self.testimony_ids["researchers-no-transcript"]]
        return hidden

    def hidden_narrators(self, role: str) -> list[int]:
        """Narrator ids whose every testimony is hidden from this role."""
        hidden = [self.narrator_ids[k] for k in HIDDEN_KINDS if k != "researchers" or role != "researcher"]
        return hidden + ([] if role == "researcher" else [self.narrator_ids["researchers-no-transcript"]])

    def hidden_recordings(self, role: str) -> list[int]:
        """Recording ids this role may not fetch."""
        ids = [self.recording_ids[k] for k in HIDDEN_KINDS if k != "researchers" or role != "researcher"]
        if role != "researcher":
            ids.append(self.recording_ids["researchers-no-transcript"])
        return ids + [self.recording_ids["restricted-shared"], self.recording_ids["no-audio-consent"]]


class Planter:
    """Build the world through the services, the way curators and imports do."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.world = World()
        self._used: set[str] = set()
        self._count = 0

    def word(self) -> str:
        while True:
            token = "qz" + "".join(self.rng.choice(_LETTERS) for _ in range(10))
            if token not in self._used:
                self._used.add(token)
                return token

    def marker(self, kind: str, place: str, visible_to: tuple[str, ...] = ()) -> Marker:
        marker = Marker(kind, place, self.word(), self.word(), frozenset(visible_to))
        self.world.markers.append(marker)
        return marker

    # -- building blocks ------------------------------------------------------------------------

    def narrator(self, label: str, **values: Any) -> Narrator:
        data = {"pseudonym": f"Narrator {label}", "gender": "female", "birth_year": 1975,
                "origin_province": "North Hamgyong", "left_north_year": 2005, "arrived_south_year": 2007}
        data.update(values)
        narrator = narrator_service.create_narrator(data)
        self.world.narrator_ids[label] = narrator.id
        return narrator

    def testimony(self, label: str, narrator: Narrator, *, segments: list[dict[str, Any]] | None = None,
                  chapters: list[dict[str, Any]] | None = None, route: list[dict[str, Any]] | None = None,
                  tags: list[str] | None = None, recording_name: str = "interview.wav",
                  **values: Any) -> Testimony:
        self._count += 1
        data: dict[str, Any] = {"title": f"Crossing the Tumen river, account {self._count}", "languages": ["en"],
                                "access": "public", "status": "published", "consent_audio": True,
                                "consent_transcript": True, "interview_date": "2018-06",
                                "summary": "<p>About the famine, the market and crossing the Tumen river.</p>"}
        data.update(values)
        t = testimonies.create_testimony(data, narrator)
        testimonies.replace_transcript(t, segments if segments is not None else [
            {"start": 0, "end": 5, "speaker": "Narrator", "text": "We crossed the Tumen river at night."},
            {"start": 5, "end": 9, "speaker": "Narrator", "text": "The market in the town was busy."},
        ], None)
        if chapters is not None:
            testimonies.set_chapters(t, chapters, None)
        testimonies.set_route(t, route if route is not None else [
            {"country": "China", "place": "Yanji", "year": 2005, "event": "worked"},
            {"country": "South Korea", "place": "Seoul", "year": 2007, "event": "arrived"}], None)
        testimonies.set_topics(t, tags if tags is not None else ["famine", "border-crossing"], None)
        recordings.upload_recording(t, io.BytesIO(tiny_wav()), recording_name, None)
        self.world.testimony_ids[label] = t.id
        self.world.recording_ids[label] = t.recordings[0].id
        return t

    # -- the public baseline, with secrets inside public records ---------------------------------

    def plant_public(self) -> None:
        """Public testimonies, some carrying staff-only details (real names, notes, restricted passages)."""
        with dispatch.deferred():  # index once at the end, not after every commit
            self._plant_public()
        # Theme pages list the public testimonies of their topics; the hidden ones are tagged "famine" too.
        theme_service.seed_themes()
        theme_service.create_theme({"slug": "famine", "title_en": "The famine years", "topics": ["famine"]})

    def _plant_public(self) -> None:
        # A narrator with real name, unconsented public name and curator notes.
        real = self.marker("public-record", "narrator real name")
        public_name = self.marker("public-record", "public name without consent")
        notes = self.marker("public-record", "curator notes")
        n = self.narrator("public-a", real_name=f"Kim {real.text}", public_name=f"Park {public_name.text}",
                          curator_notes=f"Lives near the station {notes.text}", occupation="Workers",
                          education="Primary school")
        seg_text = self.marker("public-record", "restricted segment text")
        seg_speaker = self.marker("public-record", "restricted segment speaker")
        consent = self.marker("public-record", "consent notes")
        filename = self.marker("public-record", "uploaded file name")
        self.testimony(
            "public-a", n, consent_notes=f"Sister still in Hyesan {consent.text}", consent_name=False, featured=True,
            recording_name=f"{filename.key}-{filename.proof}.wav",
            segments=[
                {"start": 0, "end": 4, "speaker": "Narrator", "text": "We crossed the Tumen river at night."},
                {"start": 4, "end": 8, "speaker": f"Cousin {seg_speaker.text}",
                 "text": f"My cousin in Hyesan {seg_text.text} helped us.", "restricted": True},
                {"start": 8, "end": 12, "speaker": "Narrator", "text": "The market in the town was busy."},
            ],
            chapters=[{"start": 0, "title": "Crossing the river"}, {"start": 8, "title": "The market"}])
        # A second public testimony of the same narrator (still no name consent).
        self.testimony("public-a2", n, interview_date="2019-01", tags=["market-trade"])

        # A public testimony without consent to publish its transcript.
        no_transcript = self.marker("public-record", "transcript without consent")
        n_b = self.narrator("public-b", origin_province="Ryanggang", gender="male")
        self.testimony("no-transcript-consent", n_b, consent_transcript=False, segments=[
            {"start": 0, "end": 5, "speaker": "Narrator", "text": f"Night crossing near Hyesan {no_transcript.text}."},
        ])
        # A public testimony without consent to publish its audio (its recording must stay hidden).
        self.testimony("no-audio-consent", n_b, consent_audio=False, interview_date="2020")
        # A plain public testimony with a consented public name (allowed everywhere).
        n_c = self.narrator("public-c", public_name="Ms. Consented Speaker", origin_province="South Hamgyong")
        self.testimony("public-c", n_c, consent_name=True, route=[
            {"country": "China", "place": "Tumen", "year": 2010, "event": "transit"},
            {"country": "Thailand", "place": "Bangkok", "year": 2011, "event": "transit"},
            {"country": "South Korea", "place": "", "year": 2011, "event": "arrived"}])
        # A narrator with public testimonies who also gets a restricted one below.
        narrator_shared = self.narrator("shared", origin_province="North Hamgyong")
        self.testimony("public-shared", narrator_shared, interview_date="2017")
        # An embargo that has passed: visible.
        self.testimony("embargo-passed", narrator_shared, embargo_until=(today() - timedelta(days=1)).isoformat(),
                       interview_date="2016")
        self._plant_labels_and_markers()

    def _plant_labels_and_markers(self) -> None:
        """Real names inside speaker labels in every transcript format, and markers after the speaker."""
        first, last = self.marker("public-record", "real name in speaker labels"), self.word()
        n = self.narrator("labels", real_name=f"{first.key} {first.proof}-{last}", public_name=None)
        squashed = f"{first.key}{first.proof}{last}".upper()
        vtt = (f"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n<v {first.key} {first.proof}-{last}>We crossed the river.\n\n"
               f"00:00:04.000 --> 00:00:08.000\n<v Interviewer>What happened at the market?\n")
        srt = f"1\n00:00:00,000 --> 00:00:04,000\n{first.key.upper()}  {first.proof.upper()} {last}: The famine came.\n"
        after_speaker = self.marker("public-record", "restricted marker after the speaker")
        after_voice = self.marker("public-record", "restricted marker after a voice tag")
        txt = (f"[00:00:00] Narrator ({first.key} {first.proof}-{last}): The market was busy.\n"
               f"[00:00:04] {squashed}: We waited by the Tumen river.\n"
               f"[00:00:08] Narrator: [restricted] my brother {after_speaker.text} stayed behind.\n"
               f"[00:00:12] Narrator: [ Restricted ] {after_voice.key} and the broker.\n"
               f"[00:00:16] Interviewer: And then?\n")
        vtt_restricted = (f"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n<v Narrator>[restricted] {after_voice.proof} "
                          f"helped us.\n\n00:00:04.000 --> 00:00:08.000\n<v Narrator>The river was cold.\n")
        for label, data, name in (("labels-vtt", vtt, "t.vtt"), ("labels-srt", srt, "t.srt"),
                                  ("labels-txt", txt, "t.txt"), ("labels-vtt-restricted", vtt_restricted, "r.vtt")):
            t = self.testimony(label, n, segments=[])
            testimonies.replace_transcript(t, parse_transcript(data, name), None)
        # Researchers may open this testimony but the narrator did not consent to its transcript.
        unconsented = self.marker("public-record", "researchers-only transcript without consent")
        n_r = self.narrator("researchers-no-transcript", origin_province="Ryanggang")
        self.testimony("researchers-no-transcript", n_r, access="researchers", consent_transcript=False, segments=[
            {"start": 0, "end": 5, "speaker": "Narrator", "text": f"The famine near Hyesan {unconsented.text}."}])

    # -- hidden testimonies -------------------------------------------------------------------

    def plant_hidden(self) -> None:
        """One testimony per way of being hidden, with a marker in every curator-editable field."""
        with dispatch.deferred():
            for kind in HIDDEN_KINDS:
                self._plant_hidden_kind(kind)
            # A restricted testimony of a narrator who also has public testimonies.
            shared = db.session.get(Narrator, self.world.narrator_ids["shared"])
            self._hidden_testimony("restricted-shared", "restricted-shared", shared, access="restricted")
        # Withdrawal happens after publication, so the index held the testimony before.
        withdrawn = db.session.get(Testimony, self.world.testimony_ids["withdrawn"])
        testimonies.withdraw_consent(withdrawn, None, note="narrator asked by phone")

    def _plant_hidden_kind(self, kind: str) -> None:
        visible = ("researcher",) if kind == "researchers" else ()
        pseudonym = self.marker(kind, "narrator pseudonym", visible)
        real = self.marker(kind, "narrator real name")
        public_name = self.marker(kind, "narrator public name", visible)
        notes = self.marker(kind, "narrator curator notes")
        narrator = self.narrator(kind, pseudonym=f"Pseudonym {pseudonym.text}", real_name=f"Ri {real.text}",
                                 public_name=f"Choe {public_name.text}", curator_notes=f"Notes {notes.text}",
                                 origin_province="Jagang", occupation="Military")
        values: dict[str, Any] = {
            "restricted": {"access": "restricted"},
            "draft": {"status": "draft"},
            "embargoed": {"embargo_until": (today() + timedelta(days=30)).isoformat()},
            "withdrawn": {},
            "researchers": {"access": "researchers"},
        }[kind]
        self._hidden_testimony(kind, kind, narrator, consent_name=True, **values)

    def _hidden_testimony(self, label: str, kind: str, narrator: Narrator, **values: Any) -> Testimony:
        visible = ("researcher",) if kind == "researchers" else ()
        m = {place: self.marker(kind, place, visible) for place in (
            "title", "summary", "external id", "interviewer", "interview place", "segment text",
            "segment speaker", "chapter title", "chapter synopsis", "chapter keywords", "route place")}
        # Staff-only whatever the testimony's access: withheld passages, consent notes, file names.
        for place in ("restricted segment", "consent notes", "uploaded file name"):
            m[place] = self.marker(kind, place)
        return self.testimony(
            label, narrator,
            title=f"Crossing the Tumen river {m['title'].text}",
            summary=f"<p>The famine and the market. <em>{m['summary'].text}</em></p>",
            external_id=f"{m['external id'].key}-{m['external id'].proof}",
            interviewer=f"Interviewer {m['interviewer'].text}",
            interview_place=f"Seoul {m['interview place'].text}",
            consent_notes=f"Notes {m['consent notes'].text}",
            recording_name=f"{m['uploaded file name'].key} {m['uploaded file name'].proof}.wav",
            interview_date="2021-03",
            segments=[
                {"start": 0, "end": 5, "speaker": f"Narrator {m['segment speaker'].text}",
                 "text": f"We crossed the Tumen river {m['segment text'].text} at night."},
                {"start": 5, "end": 9, "speaker": "Narrator", "restricted": True,
                 "text": f"The broker {m['restricted segment'].text} took us."},
            ],
            chapters=[{"start": 0, "title": f"Crossing {m['chapter title'].text}",
                       "synopsis": f"Synopsis {m['chapter synopsis'].text}",
                       "keywords": [m["chapter keywords"].key, m["chapter keywords"].proof]}],
            route=[{"country": self.world.hidden_country, "place": f"Ulaanbaatar {m['route place'].text}",
                    "year": 2009, "event": "hid"},
                   {"country": "South Korea", "place": "Seoul", "year": 2010, "event": "arrived"}],
            tags=["famine", self.world.hidden_tag],
            **values,
        )

    # -- accounts ------------------------------------------------------------------------------

    def accounts(self) -> None:
        """A researcher waiting for approval and an approved one."""
        unapproved = users.email_taken("waiting@example.org") or make_user("waiting@example.org", "researcher", False)
        approved = users.email_taken("approved@example.org") or make_user("approved@example.org", "researcher", True)
        self.world.user_ids.update({"unapproved": unapproved.id, "researcher": approved.id})


def tiny_wav(seconds: float = 0.2, rate: int = 8000) -> bytes:
    """A valid, short, silent WAV file."""
    return wav_bytes(seconds, rate)


def make_user(email: str, role: str, approved: bool | None = None) -> User:
    """An account with the probe password."""
    return users.create_user(email, PASSWORD, role, approved=approved)


def csrf_from(client: Any, path: str) -> str:
    """The CSRF token of the first form on a page."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: Any, email: str, password: str = PASSWORD) -> None:
    """Log a test client in through the login form."""
    response = client.post("/account/login", data={"email": email, "password": password,
                                                   "csrf_token": csrf_from(client, "/account/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


class FreshClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The `app` fixture keeps an application context pushed, so its requests share `g`, where
    Flask-Login caches the loaded user and Flask-WTF the CSRF token: one client's login (or
    logout) would otherwise carry over into the next client's requests and hide session bugs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()


def fresh_client(app: Any) -> FreshClient:
    """A FreshClient for the app."""
    return FreshClient(app, app.response_class, use_cookies=True)


def role_client(app: Any, role: str) -> Any:
    """A test client acting as anonymous, an unapproved or an approved researcher, a curator or an admin."""
    client = fresh_client(app)
    emails = {"unapproved": "waiting@example.org", "researcher": "approved@example.org",
              "curator": "curator-probe@example.org", "admin": "admin-probe@example.org"}
    if role == "anonymous":
        return client
    if users.email_taken(emails[role]) is None:
        make_user(emails[role], "researcher" if role == "unapproved" else role,
                  approved={"unapproved": False, "researcher": True}.get(role))
    log_in(client, emails[role])
    return client
