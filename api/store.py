"""The job store: SQLAlchemy 2 models and sessions (SQLite file by default, PostgreSQL by URL).

The database is the source of truth of every job: the API writes submissions and cancel
requests, the dispatcher claims queued jobs, and the solve process writes progress and the
plan. Every write of a solve process is guarded by the job's *lease* (a token set when the
job is claimed), so a process that lost its job (server restarted, job deleted or re-queued)
can never overwrite it.

The schema is portable: strings and texts (PostgreSQL refuses NUL characters in them, so
they are replaced on the way in), timestamps with time zone, booleans. The SQLite-only
pragmas (WAL, busy timeout) are set on SQLite connections only. ``postgresql://`` and
``postgres://`` URLs use the psycopg (3) driver.
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
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Dialect, make_url
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


class _NoNul(TypeDecorator[str]):
    """A string without NUL characters: PostgreSQL text cannot hold them (SQLite can), so a
    NUL in a value (an instance name, an id in a URL) becomes U+FFFD on every backend."""

    impl: type[String] = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value


class _Str(_NoNul):
    impl = String  # a VARCHAR(length)
    cache_ok = True


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

    id: Mapped[str] = mapped_column(_Str(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(_Str(64))
    status: Mapped[str] = mapped_column(_Str(16), default=Status.QUEUED)
    name: Mapped[str] = mapped_column(_Str(200), default="instance")
    # The two large columns are loaded only when read: status polls and lists never pay for
    # them.
    instance_json: Mapped[str] = mapped_column(_NoNul, deferred=True)
    plan_json: Mapped[str | None] = mapped_column(_NoNul, default=None, deferred=True)
    plan_status: Mapped[str | None] = mapped_column(_Str(16), default=None)
    plan_objective: Mapped[str | None] = mapped_column(_NoNul, default=None)
    error: Mapped[str | None] = mapped_column(_NoNul, default=None)
    stage: Mapped[str | None] = mapped_column(_Str(32), default=None)
    stage_number: Mapped[int | None] = mapped_column(Integer, default=None)
    stages: Mapped[int | None] = mapped_column(Integer, default=None)
    solutions: Mapped[int | None] = mapped_column(Integer, default=None)
    objective: Mapped[float | None] = mapped_column(Float, default=None)
    bound: Mapped[float | None] = mapped_column(Float, default=None)
    gap: Mapped[float | None] = mapped_column(Float, default=None)
    elapsed: Mapped[float | None] = mapped_column(Float, default=None)
    time_limit: Mapped[float] = mapped_column(Float)
    idempotency_key: Mapped[str | None] = mapped_column(_Str(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(_Str(64), default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease: Mapped[str | None] = mapped_column(_Str(36), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def database_url(url: str) -> str:
    """``url`` with a driver SQLAlchemy can load here: psycopg 3 for a bare PostgreSQL URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and cross-thread use."""
    url = database_url(url)
    if is_sqlite(url):
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
