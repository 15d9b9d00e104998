"""Uploaded files of a case and the requests to the family to supply missing materials (补正)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.cases.models import JSONType
from app.clock import UTCDateTime, now
from app.extensions import db
from app.identity.models import new_id


class Upload(db.Model):
    """One stored file. The storage key is made here (``{case_id}/{id}{ext}``), never from the
    client's file name, which is not kept at all (it may carry a name or an ID number)."""

    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(48))
    content_type: Mapped[str] = mapped_column(sa.String(64))  # from the bytes, not the client
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    uploaded_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SupplementRequest(db.Model):
    """A request to the family to supply materials still missing after 容缺受理 (补正)."""

    __tablename__ = "supplement_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    materials: Mapped[list] = mapped_column(JSONType, default=list)  # checklist codes
    note: Mapped[str | None] = mapped_column(sa.String(200))
    requested_by: Mapped[str] = mapped_column(sa.String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
