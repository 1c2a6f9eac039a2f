"""Typed settings. Every knob has an ``RONDETAFEL_*`` env var and an offline default."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of Rondetafel. Read once through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="RONDETAFEL_", extra="ignore")

    data_dir: Path = Field(Path(".rondetafel"), description="Where all state lives.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is a SQLite file in the data directory."
    )
    max_body_bytes: int = Field(1_000_000, description="Largest accepted JSON request body.")
    max_upload_bytes: int = Field(2_000_000, description="Largest accepted position file.")
    embed_threads: int = Field(1, description="OpenMP threads for the embedding model.")
    log_level: str = Field("INFO", description="Python logging level.")
    host: str = Field("127.0.0.1", description="Address `rondetafel serve` binds to.")
    port: int = Field(8000, description="Port `rondetafel serve` listens on.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/rondetafel.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rondetafel.db').resolve()}"

    @property
    def checkpoint_path(self) -> Path:
        """SQLite file for LangGraph checkpoints."""
        return self.data_dir / "checkpoints.db"

    @property
    def chroma_path(self) -> Path:
        """Directory of the chromadb PersistentClient."""
        return self.data_dir / "chroma"


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
