"""Typed settings. Every knob has an ``RONDETAFEL_*`` env var and an offline default."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
    events_heartbeat_s: float = Field(
        15.0, gt=0, le=300, description="Seconds of quiet before the event stream sends a ping."
    )
    shutdown_grace_s: int = Field(
        5, ge=0, description="Seconds `serve` waits for open streams when it stops."
    )
    chunk_chars: int = Field(
        400, ge=100, le=2000, description="Target size of a position chunk in the index."
    )
    retrieval_per_author: int = Field(
        2, ge=1, description="Most passages of one participant in one retrieval result."
    )
    embeddings_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings endpoint for the position index (off)."
    )
    embeddings_model: str | None = Field(None, description="Model name at that endpoint.")
    embeddings_api_key: SecretStr | None = Field(None, description="API key for that endpoint.")
    embeddings_timeout: float = Field(30.0, gt=0, description="Seconds per embeddings call.")
    embed_threads: int = Field(1, description="OpenMP threads for the embedding model.")
    keep_checkpoint_history: bool = Field(
        False,
        description="Keep every graph checkpoint (debugging), not just each meeting's latest.",
    )
    checkpoint_prune_every: int = Field(
        8, ge=1, description="Events per meeting between prunes of its old checkpoints."
    )
    gc_gen0: int = Field(
        20_000,
        ge=0,
        description="Allocations before Python's youngest-generation collection (0: default).",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    host: str = Field("127.0.0.1", description="Address `rondetafel serve` binds to.")
    port: int = Field(8000, description="Port `rondetafel serve` listens on.")
    # ---- the llm backend: off unless a model is named (OPENAI_API_KEY alone never turns
    # it on, so a key in a developer's shell cannot send a meeting anywhere) ----
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint; unset means api.openai.com."
    )
    llm_model: str | None = Field(None, description="Model (Azure: deployment) name; turns on llm.")
    llm_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("RONDETAFEL_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key"),
        description="API key; falls back to OPENAI_API_KEY.",
    )
    llm_timeout: float = Field(
        20.0, gt=0, description="Seconds one model call may take, retry included, before local."
    )
    llm_max_prompt_tokens: int = Field(6000, ge=500, description="Prompt tokens per call, at most.")
    llm_max_output_tokens: int = Field(900, ge=50, description="Output tokens per call, at most.")
    llm_meeting_tokens: int = Field(
        300_000, ge=1000, description="Tokens (prompt + output) one meeting may use in all."
    )
    llm_breaker_failures: int = Field(
        3, ge=1, description="Endpoint failures in a row that open the circuit breaker."
    )
    llm_breaker_cooldown: float = Field(
        30.0, ge=0, description="Seconds the breaker stays open before one trial call."
    )
    llm_structured: Literal["auto", "json_schema", "json_object"] = Field(
        "auto", description="Structured outputs: json_schema, JSON mode, or try one then the other."
    )
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    llm_pseudonymise: bool = Field(
        True, description="Replace names, e-mail addresses and phone numbers before sending."
    )

    @property
    def llm_enabled(self) -> bool:
        """True when a model endpoint is configured (the model name or the URL is set)."""
        return bool(self.llm_model or self.llm_base_url)

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
