"""Flask extensions, unbound until the app factory calls init_app."""
import os

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
    """SQLite leaves foreign keys (and ON DELETE CASCADE) off unless asked on every connection.

    ARCHIVE_UNSAFE_FAST_COMMITS=1 skips the wait for the disk at each commit (SQLite's
    ``synchronous=OFF``, PostgreSQL's ``synchronous_commit=off``): for throwaway databases such as the
    test suite's, never for the archive itself, where a crash could lose the last commits.
    """
    fast = os.environ.get("ARCHIVE_UNSAFE_FAST_COMMITS") == "1"
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if fast:
            cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()
    elif fast and module.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        dbapi_connection.commit()
