"""Settings of the service, from ``ALLOCATOR_*`` environment variables (pydantic-settings).

``ALLOCATOR_API_KEYS`` takes a JSON list (``'["k1", "k2"]'``) or a comma-separated string
(``k1,k2``); an empty list turns authentication off.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MB = 1024 * 1024


class Settings(BaseSettings):
    """Everything an operator may set; the defaults run a single-node service out of the box."""

    model_config = SettingsConfigDict(env_prefix="ALLOCATOR_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./allocator.db",
        description="SQLAlchemy URL of the job store (SQLite file by default, PostgreSQL too).",
    )
    host: str = Field(default="127.0.0.1", description="Address `python -m api` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of `python -m api`.")
    max_concurrent_solves: int = Field(
        default=1, ge=1, le=64, description="Solves running at once (solver processes)."
    )
    max_queue: int = Field(
        default=20, ge=0, description="Jobs that may wait for a solver before submits get 429."
    )
    max_request_bytes: int = Field(default=5 * MB, ge=1024, description="Request body cap.")
    max_time_limit: float = Field(
        default=300.0, gt=0, description="Largest time limit a job may ask for, in seconds."
    )
    default_time_limit: float = Field(
        default=30.0, gt=0, description="Time limit of a job that names none, in seconds."
    )
    sync_time_limit_cap: float = Field(
        default=10.0, gt=0, description="Largest time limit of POST /v1/solve, in seconds."
    )
    workers: int = Field(default=0, ge=0, le=256, description="CP-SAT threads per solve (0=all).")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Bearer keys, one per tenant; empty = no auth."
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [key.strip() for key in text.split(",") if key.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
