"""Time backups (full and incremental), a restore and a fixity run on a synthetic archive, beside plain copies.

    .venv/bin/python bench/preservation.py --testimonies 40 --megabytes 5

Each testimony gets a transcript and a WAV recording of noise (incompressible, `--megabytes` each); they are
restricted drafts, so no public copies are made and the figures are about the preservation code alone. The
baselines are measured in the same run: `shutil.copytree` of the media folder and hashing every media file.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

from _common import make_app


def noise_wav(megabytes: float) -> bytes:
    """A mono 16-bit WAV of random samples (8 kHz), about `megabytes` long."""
    data = os.urandom(int(megabytes * 1024 * 1024) // 2 * 2)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


def timed(label: str, action, size_mb: float | None = None) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    rate = f"  ({size_mb / seconds:.0f} MB/s)" if size_mb else ""
    print(f"{label:<52} {seconds:7.2f} s{rate}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--testimonies", type=int, default=40)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archive-bench-preservation-"))
    app = make_app(work / "source")
    from archive.core.extensions import db
    from archive.curation import narrators, testimonies
    from archive.curation.recordings import upload_recording
    from archive.preservation import backups, fixity

    app.config["MAX_UPLOAD_BYTES"] = 1 << 40
    with app.app_context():
        for number in range(args.testimonies):
            narrator = narrators.create_narrator({"pseudonym": f"Bench narrator {number}", "gender": "female"})
            t = testimonies.create_testimony({"title": f"Bench testimony {number}", "languages": ["en"]}, narrator)
            testimonies.replace_transcript(t, [{"start": i, "end": i + 1, "text": f"passage {i} of {number}"}
                                               for i in range(200)], None)
            upload_recording(t, io.BytesIO(noise_wav(args.megabytes)), f"r{number}.wav", None)
        media = Path(app.config["MEDIA_ROOT"])
        size = sum(p.stat().st_size for p in media.rglob("*") if p.is_file()) / 1024 / 1024
        print(f"archive: {args.testimonies} testimonies, {size:.0f} MB of media, 200 passages each\n")

        copy = timed("baseline: shutil.copytree of the media", lambda: shutil.copytree(media, work / "copy"), size)
        digest = timed("baseline: SHA-256 of every media file",
                       lambda: [hashlib.sha256(p.read_bytes()).hexdigest() for p in media.rglob("*") if p.is_file()],
                       size)
        full = timed("archive backup (full)", lambda: backups.backup(work / "b1"), size)
        same = timed("archive backup --link-dest (nothing changed)",
                     lambda: backups.backup(work / "b2", link_dest=work / "b1"))
        t = db.session.get(testimonies.Testimony, 1)
        upload_recording(t, io.BytesIO(noise_wav(args.megabytes)), "new.wav", None)
        one = timed("archive backup --link-dest (one recording replaced)",
                    lambda: backups.backup(work / "b3", link_dest=work / "b2"))
        check = timed("archive fixity (every file)", lambda: fixity.run_fixity(), size)
        sample = timed("archive fixity --sample 5", lambda: fixity.run_fixity(5))
    target = make_app(work / "restored")
    with target.app_context():
        restore = timed("archive restore (into an empty archive, with reindex)",
                        lambda: backups.restore(work / "b3", force=True), size)
    print()
    print(f"full backup / copytree: {full / copy:.2f}×   full backup / (copytree + hashing): "
          f"{full / (copy + digest):.2f}×")
    print(f"incremental (unchanged) / full: {same / full:.3f}×   incremental (one new file) / full: {one / full:.3f}×")
    print(f"fixity / hashing: {check / digest:.2f}×   sample of 5 / full: {sample / check:.3f}×")
    print(f"restore / full backup: {restore / full:.2f}×")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
