"""Tables of the monitor. Results are indexed by (subject, scope, testcase, checked_at) so that the
status of a subject is a range query, not a scan of the whole history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), unique=True)
    roles: Mapped[int] = mapped_column(Integer, default=0)
    group: Mapped[str | None] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(String(256))
    layer: Mapped[str | None] = mapped_column(String(16))
    healthmon_url: Mapped[str | None] = mapped_column(String(512))
    api_keys: Mapped[list[ApiKey]] = relationship(cascade="all, delete-orphan", back_populates="account")
    public_keys: Mapped[list[PublicKey]] = relationship(cascade="all, delete-orphan", back_populates="account")


class ApiKey(Base):
    __tablename__ = "apikey"
    __table_args__ = (UniqueConstraint("account_id", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    hash: Mapped[str] = mapped_column(String(256))
    account: Mapped[Account] = relationship(back_populates="api_keys")


class PublicKey(Base):
    __tablename__ = "publickey"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    key_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    account: Mapped[Account] = relationship(back_populates="public_keys")


class Delegation(Base):
    """`delegate` may upload reports for `principal`."""

    __tablename__ = "delegation"
    __table_args__ = (UniqueConstraint("principal_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))


class Report(Base):
    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    scope_uuid: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    uploader: Mapped[str] = mapped_column(String(128))
    data: Mapped[str] = mapped_column(Text)


class Result(Base):
    __tablename__ = "result"
    __table_args__ = (Index("ix_result_lookup", "subject", "scope_uuid", "testcase", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(128))
    scope_uuid: Mapped[str] = mapped_column(String(64))
    testcase: Mapped[str] = mapped_column(String(128))
    value: Mapped[int] = mapped_column(Integer)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))


class LatestResult(Base):
    """The most recent result per subject, scope and testcase, kept current at ingestion.

    Pages about "now" (overview, details, badges) read this small table instead of the history.
    """

    __tablename__ = "latest_result"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    scope_uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    testcase: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    report_uuid: Mapped[str] = mapped_column(String(64))


class Certificate(Base):
    """A certificate for subject x scope x version (scs-0004 Reg. 1): valid one year unless revoked."""

    __tablename__ = "certificate"
    __table_args__ = (Index("ix_certificate_lookup", "subject", "scope_uuid", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(128))
    scope_uuid: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    report_uuid: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    revocation_reason: Mapped[str | None] = mapped_column(Text)


class Generation(Base):
    """One row: a counter bumped in the same transaction as every write that changes what the public
    pages show (an upload, a certificate issued or revoked, accounts changed).

    Replicas keep what they computed about "now" in memory; one primary-key read of this counter per
    request tells them whether it still holds, so no replica serves an answer another one's write has
    outdated (services/changes.py, services/current.py).
    """

    __tablename__ = "generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))


class SubjectGeneration(Base):
    """Every subject that ever reported, with the `Generation` value of its last change (a report, a
    certificate): the public list without a DISTINCT over the report table, and which subjects a
    replica must evaluate again when the counter moved."""

    __tablename__ = "subject_generation"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
