"""The job store: SQLAlchemy 2 models and sessions (SQLite file by default, PostgreSQL by URL).

The database is the source of truth of every job: the API writes submissions and cancel
requests, the dispatcher claims queued jobs, and the solve process writes progress and the
plan. Every write of a solve process is guarded by the job's *lease* (a token set when the
job is claimed), so a process that lost its job (server restarted, job deleted or re-queued)
can never overwrite it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Status(StrEnum):
    """Life cycle of a job: queued -> solving -> done | failed | cancelled."""

    QUEUED = "queued"
    SOLVING = "solving"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (Status.QUEUED, Status.SOLVING)
FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One submitted instance, its solve's progress and, once there is one, its plan."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("tenant", "idempotency_key", name="uq_jobs_tenant_idempotency_key"),
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_tenant_created", "tenant", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)
    name: Mapped[str] = mapped_column(String(200), default="instance")
    # The two large columns are loaded only when read: status polls and lists never pay for
    # them.
    instance_json: Mapped[str] = mapped_column(Text, deferred=True)
    plan_json: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    plan_status: Mapped[str | None] = mapped_column(String(16), default=None)
    plan_objective: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    stage_number: Mapped[int | None] = mapped_column(Integer, default=None)
    stages: Mapped[int | None] = mapped_column(Integer, default=None)
    solutions: Mapped[int | None] = mapped_column(Integer, default=None)
    objective: Mapped[float | None] = mapped_column(Float, default=None)
    bound: Mapped[float | None] = mapped_column(Float, default=None)
    gap: Mapped[float | None] = mapped_column(Float, default=None)
    elapsed: Mapped[float | None] = mapped_column(Float, default=None)
    time_limit: Mapped[float] = mapped_column(Float)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and cross-thread use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """The engine, the schema and a session factory for one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def active_jobs(session: Session) -> int:
    """Jobs queued or solving, over all tenants (the bounded queue's fill)."""
    query = select(func.count()).select_from(Job).where(Job.status.in_(list(ACTIVE)))
    return int(session.scalar(query) or 0)


def leased_update(session: Session, job_id: str, lease: str, /, **values: Any) -> bool:
    """Update a solving job only if ``lease`` still holds it; ``False`` when it does not."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.lease == lease, Job.status == Status.SOLVING)
        .values(**values)
    )
    result = session.execute(statement)
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)
