"""One settings object, read once from `DUCHA_*` environment variables and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    watch_processes: bool = Field(
        default=False,
        description="Deploy a changed diagram or form of processes_dir at once (make run)",
    )
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    scheduler_batch_size: int = Field(default=50, ge=1)
    job_lease_seconds: int = Field(default=60, ge=1, description="A job's lease before retry")
    job_max_attempts: int = Field(default=3, ge=1, description="Failures before an incident")
    job_backoff_seconds: float = Field(
        default=2.0, gt=0, description="A failed job's first retry delay, doubled each time"
    )
    job_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest delay between a failed job's retries"
    )
    housekeeping_seconds: float = Field(
        default=300.0, gt=0, description="How often a scheduler runs its chores (light sweep …)"
    )
    max_bpmn_bytes: int = Field(default=2_000_000, ge=1024, description="Upload size limit")
    conflict_retries: int = Field(default=5, ge=0, description="Optimistic-lock retries, then 409")
    max_request_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, description="Any request body larger is refused: 413"
    )
    idempotency_ttl_hours: float = Field(
        default=24, gt=0, description="How long an Idempotency-Key's answer is kept"
    )
    workflow_cache_size: int = Field(default=512, ge=0, description="Loaded workflows kept warm")
    db_pool_size: int = Field(default=10, ge=1)
    requests_in_flight: int = Field(
        default=0,
        ge=0,
        description="API requests one process works on at once; the others wait their turn "
        "(app.inflight; 0: db_pool_size)",
    )
    db_max_overflow: int = Field(default=10, ge=0)
    db_ping_idle_seconds: float = Field(
        default=5.0,
        ge=0,
        description="PostgreSQL: ping a pooled connection idle this long before use (0: always)",
    )
    # --- database faults: bounded waits (issue "Say only what is true") ---
    db_statement_timeout_ms: int = Field(
        default=30_000, ge=0, description="PostgreSQL: longest statement, then 503 (0: none)"
    )
    db_parallel_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="PostgreSQL: parallel workers one statement may launch"
        " (max_parallel_workers_per_gather; 0: each statement on its own core)",
    )
    db_connect_timeout_seconds: int = Field(
        default=2, ge=1, le=60, description="PostgreSQL: give up opening a connection after this"
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=60_000,
        ge=0,
        description="PostgreSQL: the server ends a session idle inside a transaction this long",
    )
    db_keepalive_idle_seconds: int = Field(
        default=5, ge=1, description="PostgreSQL: TCP keepalive probes after this much silence"
    )
    db_keepalive_interval_seconds: int = Field(
        default=1, ge=1, description="PostgreSQL: between unanswered keepalive probes"
    )
    db_keepalive_count: int = Field(
        default=3, ge=1, description="PostgreSQL: unanswered probes before the link is dead"
    )
    db_tcp_user_timeout_ms: int = Field(
        default=4_000,
        ge=0,
        description="PostgreSQL (libpq tcp_user_timeout): data unacknowledged this long ends "
        "the connection, so a request on a silent link fails within it (0: the OS default)",
    )
    db_stall_check_seconds: float = Field(
        default=1.5,
        gt=0,
        description="PostgreSQL: a connection held this long makes the service check that the "
        "database still answers; if not, held connections are cut (503 within this + the "
        "connect timeout)",
    )
    db_pool_timeout_seconds: float = Field(
        default=3.0, gt=0, description="wait this long for a pooled connection, then 503"
    )
    health_timeout_seconds: float = Field(
        default=0.9, gt=0, description="/health answers 503 when the database is slower"
    )
    idempotency_answer_lease_seconds: int = Field(
        default=30,
        ge=1,
        description="a committed key without a stored answer is 'in flight' (409) this long, "
        "then 'answer lost'",
    )
    # --- end database faults ---
    unit_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="how long a process keeps unit paths it read (other processes' changes show "
        "within this; 0: no cache)",
    )
    token_cache_size: int = Field(
        default=4096, ge=0, description="verified bearer tokens remembered until they expire"
    )
    log_level: str = Field(default="INFO")

    # Identity: `jwt` (bearer tokens) or `header` (a trusted reverse proxy authenticates).
    auth_mode: Literal["jwt", "header"] = Field(default="jwt")
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 shared secret")
    jwt_secret_file: Path = Field(
        default=Path("var/jwt-secret"),
        description="where a generated HS256 secret is kept when jwt_secret is unset",
    )
    jwt_public_key_file: Path | None = Field(default=None, description="PEM key for RS256/ES256")
    jwks_file: Path | None = Field(default=None, description="JWKS file of the OIDC provider")
    jwt_algorithms: list[str] = Field(default=["HS256"], description="accepted algorithms")
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0)
    claim_sub: str = "sub"
    claim_name: str = "name"
    claim_unit: str = "unit"
    claim_roles: str = "roles"
    header_user: str = "X-Remote-User"
    header_name: str = "X-Remote-Name"
    header_unit: str = "X-Remote-Unit"
    header_roles: str = "X-Remote-Roles"
    trusted_proxies: list[str] = Field(
        default=["127.0.0.1/32", "::1/128"],
        description="addresses allowed to send identity headers",
    )
    # A caller's unit must be in the unit tree (401 `unknown_unit`), unless an SSO deployment
    # lets its first sign-in create the unit: a department under `auth_auto_create_parent`
    # (which must exist), or a top-level unit when that is unset (docs/access.md).
    auth_auto_create_units: bool = Field(
        default=False, description="create a token's unknown unit instead of answering 401"
    )
    auth_auto_create_parent: str | None = Field(
        default=None, max_length=64, description="parent of auto-created units (unset: top level)"
    )
    warning_window_days: int = Field(
        default=3, ge=0, le=30, description="yellow: working days before a deadline (§7)"
    )
    escalate_after_workdays: int = Field(
        default=5, ge=1, le=60, description="督办 to the unit head: working days still red"
    )
    escalate_leader_after_workdays: int = Field(
        default=10, ge=1, le=90, description="督办 to the leader in charge: working days still red"
    )
    units_file: Path | None = Field(default=None, description="unit tree loaded at start-up")
    attachment_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="largest activity attachment (413 above)"
    )
    survey_max_rows: int = Field(
        default=20_000, ge=1, description="most answer rows one survey CSV may hold"
    )
    workers_enabled: bool = Field(
        default=True, description="Run background workers (webhook delivery, notifications)"
    )
    gc_freeze: bool = Field(
        default=True,
        description="After start-up, keep what it made out of the garbage collector's full"
        " passes (each ~150 ms, on whichever request runs)",
    )
    # --- retention (issue 19: years of data) ---
    outbox_retention_days: int = Field(
        default=90,
        ge=0,
        description="outbox events older than this, passed by every consumer and with no "
        "delivery still to make, are removed (0: kept forever)",
    )
    delivered_retention_days: int = Field(
        default=90,
        ge=0,
        description="delivered webhook deliveries (with their attempts) and sent notifications "
        "older than this are removed (0: kept forever)",
    )
    retention_interval_seconds: float = Field(
        default=3600.0, gt=0, description="how often the retention worker removes what expired"
    )
    tally_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often closed matters are taken into the dashboard's summary (the "
        "counts are exact whatever its age; an older summary leaves more to count live)",
    )
    # --- end retention ---
    # --- webhooks (issue 8: integration) ---
    webhook_allowed_networks: list[str] = Field(
        default=["127.0.0.0/8", "::1/128"],
        description="where webhooks may be sent: CIDRs (every address a host resolves to must be "
        "inside one) and host names (`oa.example.gov`, `*.example.gov`); production must list "
        "the intranet's ranges (JSON list in the environment)",
    )
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_read_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="each read of a receiver's answer"
    )
    webhook_retry_schedule_seconds: list[float] = Field(
        default=[10, 60, 300, 1200, 3600, 7200, 21600, 43200, 86400],
        min_length=1,
        description="ceiling of the random (full jitter) wait before each retry; one attempt "
        "more than entries, then the delivery is failed (expected total about a day)",
    )
    webhook_dispatch_interval_seconds: float = Field(
        default=1.0, gt=0, description="how often new events are matched to subscriptions"
    )
    webhook_delivery_interval_seconds: float = Field(
        default=1.0, gt=0, description="how often due deliveries are looked for when idle"
    )
    webhook_batch_size: int = Field(
        default=10, ge=1, le=100, description="deliveries one worker takes and sends at once"
    )
    webhook_lease_seconds: int = Field(
        default=60,
        ge=5,
        description="how long a taken delivery is held before another worker may take it "
        "(at least connect + read timeout + 10 s is used)",
    )
    webhook_ca_file: Path | None = Field(
        default=None, description="CA bundle for https receivers (the intranet's CA)"
    )
    # --- end webhooks ---
    # --- external tasks (issue 8: integration) ---
    external_task_max_lock_ms: int = Field(
        default=24 * 3600 * 1000,
        ge=1000,
        description="Longest lock a worker may take or extend on an external task (ms)",
    )
    external_task_max_fetch: int = Field(
        default=100, ge=1, le=1000, description="Most external tasks one fetch-and-lock returns"
    )
    # --- end external tasks ---
    # --- notifications (issue 8: integration) ---
    notifications_interval_seconds: float = Field(
        default=2.0, gt=0, description="how often the notifications worker looks for work"
    )
    notifications_base_url: str = Field(
        default="http://127.0.0.1:8000", description="links in messages: {base_url}/matters/<id>"
    )
    notifications_templates_dir: Path | None = Field(
        default=None, description="templates here override app/notifications/templates/"
    )
    notifications_max_attempts: int = Field(
        default=5, ge=1, le=20, description="sending attempts before a message is failed"
    )
    notifications_retry_seconds: float = Field(
        default=240.0, gt=0, description="first retry delay, doubled each time (5 tries ≈ 1 h)"
    )
    notifications_lease_seconds: int = Field(
        default=120, ge=1, description="a message taken for sending is another worker's after"
    )
    notifications_batch_size: int = Field(default=50, ge=1, le=1000)
    notifications_smtp_host: str | None = Field(default=None, description="unset: no e-mail")
    notifications_smtp_port: int = Field(default=587, ge=1, le=65535)
    notifications_smtp_security: Literal["starttls", "ssl", "none"] = Field(default="starttls")
    notifications_smtp_user: str | None = None
    notifications_smtp_password: SecretStr | None = None
    notifications_smtp_from: str = Field(default="ducha@localhost", description="From address")
    notifications_smtp_from_name: str = Field(default="督查室", description="From display name")
    notifications_smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    notifications_http_url: str | None = Field(
        default=None, description="IM/SMS gateway: JSON POSTed here (unset: no HTTP channel)"
    )
    notifications_http_headers: dict[str, str] = Field(
        default={}, description="headers of every gateway request (JSON object)"
    )
    notifications_http_timeout_seconds: float = Field(default=10.0, gt=0)
    # --- end notifications ---
    # --- console (issue 9) ---
    console_demo: bool = Field(
        default=False,
        description="offer the demo users (with tokens) on the console's sign-in page; "
        "`ducha serve --demo` sets it",
    )
    # OIDC sign-in (authorization code + PKCE, a public client: no secret in the browser). The
    # tokens are verified like any JWT: set jwks_file, jwt_algorithms, jwt_issuer, jwt_audience.
    console_oidc_issuer: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="the intranet OIDC provider's issuer URL (its discovery document is "
        "<issuer>/.well-known/openid-configuration); with console_oidc_client_id, the sign-in "
        "page offers 通过统一身份认证登录",
    )
    console_oidc_client_id: str | None = Field(
        default=None,
        min_length=1,
        description="the console's client id at the provider; its redirect URI is "
        "<console origin>/login/callback",
    )
    console_oidc_scope: str = Field(
        default="openid profile", min_length=1, description="scopes asked for (openid included)"
    )
    console_oidc_use_id_token: bool = Field(
        default=False,
        description="send the ID token as the bearer instead of the access token (when the "
        "provider's access tokens are opaque or lack the unit and roles claims)",
    )
    # --- end console ---


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
