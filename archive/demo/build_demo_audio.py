#!/usr/bin/env python3
"""Regenerate the demo collection's audio and time codes from its transcript text.

    python archive/demo/build_demo_audio.py            # rebuild media/demo/*.ogg + times
    python archive/demo/build_demo_audio.py --check    # only validate collection.jsonl

For every record in ``archive/demo/collection.jsonl`` that has a ``media`` path and
a transcript, each segment is spoken with espeak-ng (one voice per speaker), the
clips are resampled to 24 kHz mono, joined with 0.4 s of silence between them and
encoded to Ogg Opus (20 kbit/s) with ffmpeg.  The exact start/end of every segment
(rounded to 0.01 s) is written back into the JSONL, and every chapter start is
moved to the start of the segment it belonged to before the rebuild.

Segments marked ``"restricted": true`` are NOT spoken in the published file: their
slot keeps the length of the synthesized speech but is filled with a quiet tone,
so the public audio never carries withheld text while the time codes stay valid.

Requirements: espeak-ng, sox, ffmpeg (with libopus) on PATH; mutagen (project
dependency) for the final duration check.  The output is deterministic for a
given espeak-ng / sox / libopus version (ffmpeg runs in bit-exact mode).
"""
from __future__ import annotations

import argparse
import array
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
COLLECTION = HERE / "collection.jsonl"
MEDIA_ROOT = REPO / "media"

RATE = 24000          # Hz, mono 16-bit PCM before encoding
GAP = 0.4             # seconds of silence between segments
TAIL = 0.3            # seconds of silence after the last segment
BITRATE = "20k"
REDACT_TONE_HZ = 440.0
REDACT_TONE_AMP = 0.05  # ~ -26 dBFS

# Voice per (external_id, speaker role, language): (espeak voice, speed wpm, pitch 0-99).
# role is "interviewer" or "narrator".
VOICES: dict[tuple[str, str, str], tuple[str, int, int]] = {
    ("demo-001", "interviewer", "en"): ("en-us+f3", 160, 55),
    ("demo-001", "narrator", "en"): ("en-gb+m3", 155, 40),
    ("demo-002", "interviewer", "ko"): ("ko+f2", 180, 60),
    ("demo-002", "narrator", "ko"): ("ko+f4", 180, 40),
    ("demo-003", "interviewer", "en"): ("en-us+m7", 160, 45),
    ("demo-003", "narrator", "en"): ("en-gb+f2", 155, 50),
    ("demo-004", "interviewer", "ko"): ("ko+f3", 170, 55),
    ("demo-004", "narrator", "ko"): ("ko+m3", 170, 45),
    ("demo-005", "interviewer", "en"): ("en-us+f4", 160, 55),
    ("demo-005", "narrator", "en"): ("en-gb+m1", 150, 35),
    ("demo-006", "interviewer", "en"): ("en-us+f2", 160, 60),
    ("demo-006", "narrator", "en"): ("en-gb-x-rp+f4", 155, 45),
    ("demo-006", "narrator", "ko"): ("ko+f4", 165, 45),
    ("demo-007", "interviewer", "en"): ("en-us+f3", 160, 55),
    ("demo-007", "narrator", "en"): ("en-gb+f5", 150, 40),
}
DEFAULT_VOICES = {
    ("interviewer", "en"): ("en-us+f3", 160, 55),
    ("interviewer", "ko"): ("ko+f2", 170, 55),
    ("narrator", "en"): ("en-gb+m3", 155, 45),
    ("narrator", "ko"): ("ko+m3", 170, 45),
}

# ------------------------------------------------------------------ vocabularies
PROVINCES = {"Pyongyang", "South Pyongan", "North Pyongan", "Jagang", "South Hwanghae", "North Hwanghae",
             "Kangwon", "South Hamgyong", "North Hamgyong", "Ryanggang", "Nampo", "Rason", "Kaesong"}
PLACES = {"Chongjin", "Hoeryong", "Musan", "Onsong", "Hyesan", "Sinuiju", "Hamhung", "Kimchaek", "Wonsan",
          "Pyongyang"}
OCCUPATIONS = {"Management", "Military", "Workers", "Unemployed or dependants", "Service sector",
               "Arts and sports", "Professionals", "Children (not of working age)"}
EDUCATION = {"Preschool child", "Kindergarten", "Primary school", "Secondary school (middle and high school)",
             "College", "University or higher", "No schooling", "Other or unidentified"}
REGIONS = {"Gyeonggi", "Seoul", "Incheon", "South Chungcheong and Sejong", "North Chungcheong",
           "North Gyeongsang", "South Gyeongsang", "Gangwon", "Busan", "South Jeolla", "Daegu", "Daejeon",
           "North Jeolla", "Gwangju", "Ulsan", "Jeju"}
COUNTRIES = {"China", "Russia", "Mongolia", "Laos", "Vietnam", "Thailand", "Cambodia", "Myanmar", "Japan",
             "Philippines", "South Korea", "North Korea", "Demilitarized Zone", "United Kingdom"}
EVENTS = {"transit", "worked", "hid", "arrested", "repatriated", "arrived"}
TAGS = {"famine", "border-crossing", "brokers", "human-trafficking", "repatriation", "prison-camp",
        "family-separation", "market-trade", "labour", "religion", "information-media", "military-service",
        "education", "health", "resettlement", "diplomacy", "notable-defectors"}
LANGS = {"en", "ko"}
ACCESS = {"public", "researchers", "restricted"}
STATUS = {"published", "draft"}
GENDERS = {"female", "male", "unspecified"}
ALLOWED_HTML = {"p", "em", "strong", "a", "ul", "li"}


# ------------------------------------------------------------------ text helpers
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _two_digits(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("-" + _ONES[ones] if ones else "")


def _year_words(match: re.Match) -> str:
    year = int(match.group(0))
    century, rest = divmod(year, 100)
    if year in range(2000, 2010):
        return "two thousand" + (" and " + _ONES[rest] if rest else "")
    if rest == 0:
        return _two_digits(century) + " hundred"
    if rest < 10:
        return _two_digits(century) + " oh " + _ONES[rest]
    return _two_digits(century) + " " + _two_digits(rest)


def spoken_text(text: str, language: str) -> str:
    """Text as handed to espeak-ng: English years are read the way people say them."""
    if language == "en":
        return re.sub(r"\b(19|20)\d\d\b", _year_words, text)
    return text


# ------------------------------------------------------------------ audio helpers
def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def synth(text: str, language: str, voice: tuple[str, int, int], workdir: Path, name: str) -> array.array:
    """Speak ``text`` and return 24 kHz mono int16 samples."""
    name_txt, raw_wav, out_wav = workdir / f"{name}.txt", workdir / f"{name}.raw.wav", workdir / f"{name}.wav"
    name_txt.write_text(spoken_text(text, language), encoding="utf-8")
    v, speed, pitch = voice
    run(["espeak-ng", "-v", v, "-s", str(speed), "-p", str(pitch), "-b", "1", "-f", str(name_txt),
         "-w", str(raw_wav)])
    run(["sox", "-R", "-D", str(raw_wav), "-r", str(RATE), "-c", "1", "-b", "16", str(out_wav)])
    with wave.open(str(out_wav), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == RATE
        samples = array.array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def tone(n: int) -> array.array:
    """Quiet sine tone of ``n`` samples with 20 ms fades (used for withheld segments)."""
    fade = int(0.02 * RATE)
    out = array.array("h", bytes(2 * n))
    for i in range(n):
        env = min(1.0, i / fade if fade else 1.0, (n - 1 - i) / fade if fade else 1.0)
        out[i] = int(round(32767 * REDACT_TONE_AMP * env * math.sin(2 * math.pi * REDACT_TONE_HZ * i / RATE)))
    return out


def silence(seconds: float) -> array.array:
    return array.array("h", bytes(2 * int(round(seconds * RATE))))


def role_of(speaker: str) -> str:
    return "interviewer" if speaker.strip().lower() == "interviewer" else "narrator"


def build_record(rec: dict, workdir: Path) -> float:
    ext_id = rec["external_id"]
    pcm = array.array("h")
    new_starts: list[float] = []
    old_starts = [float(s["start"]) for s in rec["transcript"]]
    for idx, seg in enumerate(rec["transcript"]):
        lang = seg.get("language") or rec["language"][0]
        role = role_of(seg["speaker"])
        voice = VOICES.get((ext_id, role, lang)) or DEFAULT_VOICES[(role, lang)]
        clip = synth(seg["text"], lang, voice, workdir, f"{ext_id}-{idx:02d}")
        if seg.get("restricted"):
            clip = tone(len(clip))
        if idx:
            pcm.extend(silence(GAP))
        start = len(pcm) / RATE
        pcm.extend(clip)
        end = len(pcm) / RATE
        seg["start"], seg["end"] = round(start, 2), round(end, 2)
        new_starts.append(seg["start"])
    pcm.extend(silence(TAIL))

    # chapters follow the segment they started on before the rebuild
    for ch in rec.get("chapters", []):
        old = float(ch["start"])
        nearest = min(range(len(old_starts)), key=lambda i: (abs(old_starts[i] - old), i))
        ch["start"] = new_starts[nearest]

    wav_path = workdir / f"{ext_id}.wav"
    with wave.open(str(wav_path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        data = array.array("h", pcm)
        if sys.byteorder == "big":
            data.byteswap()
        w.writeframes(data.tobytes())

    out = MEDIA_ROOT / rec["media"]
    out.parent.mkdir(parents=True, exist_ok=True)
    run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav_path),
         "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
         "-c:a", "libopus", "-b:a", BITRATE, "-ac", "1", "-application", "voip", "-f", "ogg", str(out)])
    return len(pcm) / RATE


# ------------------------------------------------------------------ validation
class _TagCheck:
    """Minimal HTML tag check for summaries (allowed: p, em, strong, a, ul, li)."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag not in ALLOWED_HTML:
                    outer.bad.append(tag)
                if tag == "a" and any(k != "href" for k, _ in attrs):
                    outer.bad.append("a[attr]")

            def handle_endtag(self, tag):
                if tag not in ALLOWED_HTML:
                    outer.bad.append(tag)

        self.bad: list[str] = []
        self.parser = P()

    def check(self, html: str) -> list[str]:
        self.parser.feed(html)
        self.parser.close()
        return self.bad


def validate(lines: list[str]) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, 1):
        where = f"line {no}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        ext = rec.get("external_id")
        where = f"line {no} ({ext})"
        if not ext or ext in seen:
            errors.append(f"{where}: missing or duplicate external_id")
        seen.add(ext)

        def need(cond: bool, msg: str) -> None:
            if not cond:
                errors.append(f"{where}: {msg}")

        need(isinstance(rec.get("title"), str) and rec["title"].strip() != "", "title")
        need(isinstance(rec.get("language"), list) and rec["language"] and set(rec["language"]) <= LANGS,
             f"language {rec.get('language')}")
        need(rec.get("access") in ACCESS, f"access {rec.get('access')}")
        need(rec.get("status") in STATUS, f"status {rec.get('status')}")
        if "embargo_until" in rec:
            need(bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(rec["embargo_until"]))), "embargo_until")
        if "interview_date" in rec:
            need(bool(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(rec["interview_date"]))), "interview_date")
        need(isinstance(rec.get("fictional"), bool), "fictional flag")
        summary = rec.get("summary", "")
        need(bool(summary), "summary")
        bad = _TagCheck().check(summary)
        need(not bad, f"summary has disallowed HTML {bad}")
        if rec.get("fictional"):
            need(summary.startswith(("<p><strong>Fictional demonstration testimony.</strong> ",
                                     "<p><strong>허구의 시연용 증언입니다.</strong> ")),
                 "fictional summary must start with the marker (in Korean for a Korean-only testimony)")
        n = rec.get("narrator") or {}
        need(n.get("gender") in GENDERS, f"gender {n.get('gender')}")
        need(n.get("origin_province") in PROVINCES, f"origin_province {n.get('origin_province')}")
        if n.get("origin_place") is not None:
            need(n["origin_place"] in PLACES, f"origin_place {n.get('origin_place')}")
        need(n.get("occupation") in OCCUPATIONS, f"occupation {n.get('occupation')}")
        need(n.get("education") in EDUCATION, f"education {n.get('education')}")
        need(n.get("residence_region") in REGIONS, f"residence_region {n.get('residence_region')}")
        for key in ("birth_year", "left_north_year", "arrived_south_year"):
            need(isinstance(n.get(key), int), f"narrator.{key}")
        for hop in rec.get("route", []):
            need(hop.get("country") in COUNTRIES, f"route country {hop.get('country')}")
            need(hop.get("event") in EVENTS, f"route event {hop.get('event')}")
            need(isinstance(hop.get("year"), int), "route year")
        years = [h["year"] for h in rec.get("route", []) if isinstance(h.get("year"), int)]
        need(years == sorted(years), "route years not in order")
        need(set(rec.get("tags", [])) <= TAGS, f"tags {set(rec.get('tags', [])) - TAGS}")
        consent = rec.get("consent") or {}
        need(all(isinstance(consent.get(k), bool) for k in ("audio", "transcript", "name")), "consent flags")

        segs = rec.get("transcript", [])
        prev_end = -1.0
        for i, s in enumerate(segs):
            need(s.get("start", -1) < s.get("end", -1), f"segment {i}: start >= end")
            need(s.get("start", -1) >= prev_end, f"segment {i}: overlaps or out of order")
            need(s.get("language") in set(rec.get("language", [])), f"segment {i}: language {s.get('language')}")
            need(isinstance(s.get("restricted"), bool), f"segment {i}: restricted flag")
            need(bool(s.get("text", "").strip()) and bool(s.get("speaker", "").strip()), f"segment {i}: text/speaker")
            prev_end = s.get("end", prev_end)
        starts = {s["start"] for s in segs}
        ch_starts = [c.get("start") for c in rec.get("chapters", [])]
        need(ch_starts == sorted(ch_starts), "chapters out of order")
        for c in rec.get("chapters", []):
            need(c.get("start") in starts, f"chapter '{c.get('title')}' does not start on a segment")
        if segs:
            need(bool(rec.get("media")), "transcript without media")
            media = MEDIA_ROOT / rec["media"]
            if media.exists():
                try:
                    import mutagen
                except ImportError:  # run with the project venv for this check
                    print(f"warning: mutagen not installed, duration of {media.name} not checked", file=sys.stderr)
                else:
                    length = mutagen.File(str(media)).info.length
                    need(segs[-1]["end"] <= length + 0.1,
                         f"last segment ends at {segs[-1]['end']} but file lasts {length:.2f}")
            else:
                need(False, f"media file missing: {media}")
    return errors


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only validate collection.jsonl and media durations")
    args = ap.parse_args(argv)

    lines = [ln for ln in COLLECTION.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not args.check:
        for tool in ("espeak-ng", "sox", "ffmpeg"):
            if shutil.which(tool) is None:
                print(f"error: {tool} not found on PATH", file=sys.stderr)
                return 2
        records = [json.loads(ln) for ln in lines]
        with tempfile.TemporaryDirectory(prefix="demo-audio-") as tmp:
            for rec in records:
                if rec.get("media") and rec.get("transcript"):
                    total = build_record(rec, Path(tmp))
                    print(f"{rec['external_id']}: {len(rec['transcript'])} segments, {total:.2f} s -> media/{rec['media']}")
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        COLLECTION.write_text("\n".join(lines) + "\n", encoding="utf-8")

    errors = validate(lines)
    for e in errors:
        print("INVALID:", e, file=sys.stderr)
    total_bytes = sum(p.stat().st_size for p in (MEDIA_ROOT / "demo").glob("*.ogg")) if (MEDIA_ROOT / "demo").exists() else 0
    print(f"{len(lines)} records, {len(errors)} problems, media/demo total {total_bytes / 1e6:.2f} MB")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
