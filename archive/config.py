"""Configuration read from the environment."""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL URLs at the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def build_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings for one app: environment first, then explicit overrides."""
    overrides = dict(overrides or {})
    data_dir = Path(overrides.get("ARCHIVE_DATA_DIR") or os.environ.get("ARCHIVE_DATA_DIR") or PROJECT_ROOT / "instance").resolve()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'archive.sqlite3'}"
    insecure = os.environ.get("ARCHIVE_INSECURE_COOKIES") == "1"
    max_upload = int(os.environ.get("ARCHIVE_MAX_UPLOAD_MB", "200")) * 1024 * 1024
    config: dict[str, Any] = {
        "ARCHIVE_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        # Demo recordings ship with the repository under media/.
        "DEMO_MEDIA_ROOT": str(PROJECT_ROOT / "media"),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        # hide_parameters: a failing statement must not carry real names into a log line.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "MAX_UPLOAD_BYTES": max_upload,
        # Werkzeug refuses larger bodies before any view runs; leave room for the form fields. This large
        # limit applies to the upload routes only (archive/core/security.py); every other route takes MAX_BODY_BYTES.
        "MAX_CONTENT_LENGTH": max_upload + 1024 * 1024,
        "MAX_BODY_BYTES": int(os.environ.get("ARCHIVE_MAX_BODY_KB", "1024")) * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not insecure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": not insecure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "X-Sendfile" or "X-Accel-Redirect:/internal-media/" hands media transfers to the web server.
        "MEDIA_SENDFILE": os.environ.get("ARCHIVE_MEDIA_SENDFILE", ""),
        # Werkzeug's method for new password hashes. Keep scrypt in production; the test suite sets a cheap
        # method (tests/conftest.py) because every login fixture would otherwise pay for a real hash.
        "PASSWORD_HASH_METHOD": os.environ.get("ARCHIVE_PASSWORD_HASH_METHOD", "scrypt"),
        # Failed logins on one account from one client, then that client waits (the owner elsewhere does not).
        "LOGIN_MAX_FAILURES": int(os.environ.get("ARCHIVE_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_SECONDS": int(os.environ.get("ARCHIVE_LOGIN_LOCKOUT_SECONDS", "900")),
        # The safety net across all clients: only a distributed attack reaches it (archive/accounts/throttling.py).
        "LOGIN_ACCOUNT_MAX_FAILURES": int(os.environ.get("ARCHIVE_LOGIN_ACCOUNT_MAX_FAILURES", "100")),
        "LOGIN_ACCOUNT_WINDOW_SECONDS": int(os.environ.get("ARCHIVE_LOGIN_ACCOUNT_WINDOW_SECONDS", "3600")),
        "LOGIN_IP_MAX_FAILURES": int(os.environ.get("ARCHIVE_LOGIN_IP_MAX_FAILURES", "20")),
        "LOGIN_IP_WINDOW_SECONDS": int(os.environ.get("ARCHIVE_LOGIN_IP_WINDOW_SECONDS", "900")),
        "REGISTER_IP_MAX_ATTEMPTS": int(os.environ.get("ARCHIVE_REGISTER_IP_MAX_ATTEMPTS", "5")),
        "REGISTER_IP_WINDOW_SECONDS": int(os.environ.get("ARCHIVE_REGISTER_IP_WINDOW_SECONDS", "3600")),
        # How many reverse proxies (e.g. 1 for nginx) add themselves to X-Forwarded-For.
        "TRUSTED_PROXIES": int(os.environ.get("ARCHIVE_TRUSTED_PROXIES", "0")),
        # OAI-PMH (/oai): the repository identifier defaults to the request's host name.
        "OAI_ADMIN_EMAIL": os.environ.get("ARCHIVE_OAI_ADMIN_EMAIL", "archive@example.org"),
        "OAI_REPOSITORY_ID": os.environ.get("ARCHIVE_OAI_REPOSITORY_ID", ""),
        "OAI_PAGE_SIZE": int(os.environ.get("ARCHIVE_OAI_PAGE_SIZE", "50")),
        # The licence or rights statement of public testimonies, for IIIF `rights` and dc:rights.
        "RIGHTS_URI": os.environ.get("ARCHIVE_RIGHTS_URI", ""),
        # Publishing a profile that fewer people are expected to share needs a written justification.
        "DISCLOSURE_THRESHOLD": disclosure_threshold(os.environ.get("ARCHIVE_DISCLOSURE_THRESHOLD", "50")),
    }
    config.update(overrides)
    check_rights_uri(config["RIGHTS_URI"])
    if "SQLALCHEMY_DATABASE_URI" in overrides:
        config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(overrides["SQLALCHEMY_DATABASE_URI"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _persistent_secret(data_dir)
    return config


# IIIF Presentation 3 allows only Creative Commons licences and RightsStatements.org statements.
_RIGHTS_URI = re.compile(r"^https?://(creativecommons\.org/(licenses|publicdomain)|rightsstatements\.org/vocab)/\S+$")


def check_rights_uri(value: str) -> None:
    """Refuse a rights URI that IIIF viewers and harvesters would not recognise."""
    if value and not _RIGHTS_URI.match(value):
        raise ValueError(f"ARCHIVE_RIGHTS_URI must be a Creative Commons licence or a RightsStatements.org "
                         f"statement URI (for example http://rightsstatements.org/vocab/InC-EDU/1.0/), not {value!r}")


def disclosure_threshold(value: str) -> int:
    """Read ARCHIVE_DISCLOSURE_THRESHOLD: a whole number of people, refused at start otherwise."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"ARCHIVE_DISCLOSURE_THRESHOLD must be a whole number of people (0 or more), "
                         f"not {value!r}")
    return number


def _persistent_secret(data_dir: Path) -> str:
    """Keep one random secret per data directory so sessions survive restarts."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
