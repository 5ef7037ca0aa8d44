"""OAI-PMH record tracking: what harvesters have been shown, so withdrawals become deletions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db


class OaiRecord(db.Model):
    """A testimony that was once exposed through OAI-PMH.

    Rows are never removed: a record that leaves the public archive (withdrawn, restricted,
    unpublished, embargoed again or deleted) stays here with `deleted` set, so harvesters learn of
    the deletion ("persistent" deleted-record support). Testimonies that were never public have no row.
    """

    __tablename__ = "oai_records"
    __table_args__ = (Index("ix_oai_records_datestamp_id", "datestamp", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The local part of the OAI identifier, e.g. "testimony/12"; never reused for another testimony.
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    testimony_id: Mapped[int | None] = mapped_column(
        ForeignKey("testimonies.id", ondelete="SET NULL"), unique=True)
    datestamp: Mapped[datetime] = mapped_column()
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Space-delimited set specs with a leading and trailing space (" collection:demo topic:famine "),
    # so one set is matched with a plain LIKE on every database.
    sets: Mapped[str] = mapped_column(String(2000), default=" ")
    # Hash of the exposed metadata and sets: a change moves the datestamp for incremental harvests.
    fingerprint: Mapped[str] = mapped_column(String(64), default="")

    @property
    def set_specs(self) -> list[str]:
        """The record's set specs in order."""
        return self.sets.split()

    def __repr__(self) -> str:
        return f"<OaiRecord {self.identifier} {'deleted' if self.deleted else 'live'}>"
