"""One settings object, read once from `DUCHA_*` environment variables and `.env`."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the service; the README documents each one."""

    model_config = SettingsConfigDict(env_prefix="DUCHA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/ducha.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    processes_dir: Path = Field(
        default=Path("processes"), description="BPMN files deployed at start-up"
    )
    deploy_on_startup: bool = Field(default=True, description="Deploy processes_dir at start-up")
    migrate_on_startup: bool = Field(default=True, description="Run `alembic upgrade head`")
    scheduler_enabled: bool = Field(default=True, description="Run the timer loop in-process")
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    scheduler_batch_size: int = Field(default=50, ge=1)
    job_lease_seconds: int = Field(default=60, ge=1, description="A job's lease before retry")
    job_max_attempts: int = Field(default=3, ge=1, description="Failures before an incident")
    max_bpmn_bytes: int = Field(default=2_000_000, ge=1024, description="Upload size limit")
    conflict_retries: int = Field(default=5, ge=0, description="Optimistic-lock retries, then 409")
    workflow_cache_size: int = Field(default=512, ge=0, description="Loaded workflows kept warm")
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0, description="PostgreSQL only")
    log_level: str = Field(default="INFO")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
