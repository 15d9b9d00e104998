"""People who sign in: family members (real-name identity from the platform) and staff."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import UTCDateTime, now
from app.extensions import db
from app.privacy.fields import Sealed


def new_id() -> str:
    return uuid.uuid4().hex


class Window(db.Model):
    """An intake window (殡仪馆, 政务服务中心, 乡镇/街道, 村/社区)."""

    __tablename__ = "windows"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(32))
    division_code: Mapped[str] = mapped_column(sa.String(6))


class FamilyUser(db.Model):
    """A family member as the platform's real-name check identified them."""

    __tablename__ = "family_users"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(50))
    # GB 11643 number: found by its blind index, kept sealed (issue 6); phone sealed too.
    id_number_index: Mapped[str] = mapped_column(sa.String(64), unique=True)
    id_number_sealed: Mapped[str] = mapped_column(sa.Text)
    phone_sealed: Mapped[str] = mapped_column(sa.Text)
    id_number = Sealed("id_number_sealed", id_factory=new_id)
    phone = Sealed("phone_sealed", id_factory=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    def __init__(self, **kwargs):
        id_number = kwargs.pop("id_number", None)
        super().__init__(**kwargs)
        if id_number is not None:
            from app.privacy.crypto import id_number_index

            self.id_number = id_number
            self.id_number_index = id_number_index(id_number)


#: Staff roles (SPEC §1) and what scopes each: ``clerk`` and ``village_committee`` a window;
#: ``department_officer`` a department within a county; ``supervisor`` a county (or all of
#: Hunan without one); ``admin`` everything.
STAFF_ROLES = ("clerk", "village_committee", "department_officer", "supervisor", "admin")


class StaffUser(db.Model):
    """A clerk, village committee, department officer, supervisor or admin, with a scope."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(50))
    role: Mapped[str] = mapped_column(sa.String(32))
    window_id: Mapped[str | None] = mapped_column(sa.ForeignKey("windows.id"))
    department: Mapped[str | None] = mapped_column(sa.String(32))
    county_code: Mapped[str | None] = mapped_column(sa.String(6))
    active: Mapped[bool] = mapped_column(default=True)
    # TOTP second factor (RFC 6238): base32 secret, confirmed once a first code matched; the last
    # accepted time step refuses a replayed code.
    totp_secret_sealed: Mapped[str | None] = mapped_column(sa.Text)
    totp_secret = Sealed("totp_secret_sealed")
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RefreshToken(db.Model):
    """A refresh token's id; used once, then rotated. Reuse revokes the whole family."""

    __tablename__ = "refresh_tokens"
    jti: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    family: Mapped[str] = mapped_column(sa.String(32), index=True)
    subject: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedSession(db.Model):
    """A signed-out or compromised login (``sid`` = the refresh-token family): its access tokens
    are refused until ``expires_at``, after which none of them can still be valid."""

    __tablename__ = "revoked_sessions"
    sid: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(32))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
