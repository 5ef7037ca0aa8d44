"""Where a `next` parameter may send a visitor: only back to a local path of this site."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import url_for

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A local path to go back to; anything that could leave the site becomes `fallback` (the home page)."""
    fallback = fallback or url_for("public.home")
    if not target or len(target) > 2000 or _UNSAFE.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target.rstrip("?") or fallback
