"""Time to make a public copy per minute of audio, for each accepted format, and the worker's peak memory.

    .venv/bin/python bench/public_copies.py [--minutes 5] [--masked]

Makes a speech-like sample (a gliding tone with pauses) of the given length in every format with
ffmpeg, silences three restricted passages, verifies the copy as the worker does, and prints seconds
of work per minute of audio. Each format runs in its own process so the peak RSS is that format's.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMATS = {
    "ogg-opus": ("audio/ogg", ".ogg", ["-c:a", "libopus", "-b:a", "48k"]),
    "mp3": ("audio/mpeg", ".mp3", ["-c:a", "libmp3lame", "-b:a", "96k"]),
    "m4a-aac": ("audio/mp4", ".m4a", ["-c:a", "aac", "-b:a", "96k"]),
    "wav": ("audio/wav", ".wav", ["-c:a", "pcm_s16le"]),
    "flac": ("audio/flac", ".flac", ["-c:a", "flac"]),
    "mp4-video": ("video/mp4", ".mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                        "-c:a", "aac", "-shortest"]),
}


def make(directory: Path, name: str, seconds: float) -> Path:
    mime, extension, options = FORMATS[name]
    target = directory / f"{name}{extension}"
    audio = ["-f", "lavfi", "-i", f"aevalsrc='0.3*sin(2*PI*(150+50*sin(2*PI*0.3*t))*t)*gt(sin(2*PI*0.5*t),-0.3)'"
             f":s=44100:d={seconds}"]
    video = ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}"] if mime.startswith("video/") else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", *video, *audio, *options, str(target)], check=True)
    return target


def one(name: str, path: str, seconds: float, masked: bool) -> None:
    """Child process: make and verify one copy, print JSON."""
    from archive.media import copies
    from archive.media.redaction import make_public_copy, merge_ranges

    mime = FORMATS[name][0]
    restricted = [(seconds * f, seconds * f + 20) for f in (0.2, 0.5, 0.8)]
    plan = copies.Plan(True, tuple(restricted), tuple(merge_ranges(restricted, copies.PAD_SECONDS)),
                       -4.0 if masked else 0.0, "bench")
    out = Path(path).with_name("copy-" + Path(path).name)
    start = time.perf_counter()
    made = make_public_copy(Path(path), out, mime, list(plan.silenced), plan.semitones)
    made_at = time.perf_counter()
    copies.verify(out, plan, made.duration_seconds)
    done = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"make": made_at - start, "verify": done - made_at, "rss_mb": rss_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--masked", action="store_true", help="also mask the voice (pitch shift)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = args.minutes * 60
    if args.child:
        one(args.child[0], args.child[1], seconds, args.masked)
        return
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg is needed to make the samples")
    print(f"{args.minutes:g} min of audio, 3 restricted passages{', voice masked' if args.masked else ''}")
    print(f"{'format':<10} {'make s/min':>10} {'verify s/min':>12} {'total s/min':>11} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as directory:
        for name in FORMATS:
            sample = make(Path(directory), name, seconds)
            command = [sys.executable, __file__, "--minutes", str(args.minutes), "--child", name, str(sample)]
            if args.masked:
                command.append("--masked")
            result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            per = args.minutes
            print(f"{name:<10} {result['make'] / per:>10.2f} {result['verify'] / per:>12.2f} "
                  f"{(result['make'] + result['verify']) / per:>11.2f} {result['rss_mb']:>11.0f}")


if __name__ == "__main__":
    main()
