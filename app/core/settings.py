"""The one reader of the environment: every setting has the PROBITY_ prefix."""

import ipaddress
import logging
import re
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger("probity")

# Fixed development keys, so that every command run outside production computes the same audit
# chain and accepts the same tokens. They are published here, so production refuses them.
DEV_SECRET_KEY = "probity-development-secret-key-do-not-use-in-production"  # noqa: S105 (published on purpose; production refuses it)
DEV_AUDIT_KEY = "probity-development-audit-key-do-not-use-in-production"
KNOWN_DEFAULT_KEYS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_AUDIT_KEY,
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "secret-key",
        "your-secret-key",
        "please-change-me-please-change-me",
        "0" * 32,
        "x" * 32,
    }
)
MIN_KEY_BYTES = 32
KeyName = Literal["secret_key", "audit_key"]
_KEYS_AND_DEFAULTS: tuple[tuple[KeyName, str], ...] = (
    ("secret_key", DEV_SECRET_KEY),
    ("audit_key", DEV_AUDIT_KEY),
)


_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


class ConfigurationError(RuntimeError):
    """The service cannot start with this configuration; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROBITY_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    trust_name: str = Field(default="", max_length=200)
    # The trust's own calendar: "today", default dates, overdue and the 12-month windows follow it.
    timezone: str = "Europe/London"
    database_url: str = ""
    data_dir: Path = Path("data")
    secret_key: SecretStr | None = None
    audit_key: SecretStr | None = None
    token_ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)
    jwt_issuer: str = "probity"
    jwt_audience: str = "probity-api"
    # pwdlib's recommended argon2id parameters (64 MiB, t=3, p=4): about 120 ms a hash here.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Failures are counted per account and client address, so a flood from one address cannot lock
    # its victim out from everywhere; the per-address ceiling stops one address trying many accounts
    # (a whole school behind one NAT address shares it, hence a generous default).
    login_max_failures: int = Field(default=9, ge=1)
    login_address_max_failures: int = Field(default=50, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Proxies whose X-Forwarded-For is believed (addresses or networks); nobody's by default.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # argon2 takes 64 MiB and most of a core per hash: at most this many at once, the rest queue,
    # and beyond the queue's length a login is a 503 rather than a pile-up.
    password_hash_concurrency: int = Field(default=2, ge=1)
    password_hash_queue: int = Field(default=16, ge=0)
    # How far below the rest of the service hashing runs (Unix nice: 0 same, 19 lowest).
    password_hash_niceness: int = Field(default=10, ge=0, le=19)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 1024 * 1024
    sqlite_busy_timeout_ms: int = 10_000
    db_pool_size: int = Field(default=10, ge=1)
    # A request that cannot get a connection (or, on PostgreSQL, a new connection) in this time is a 503.
    db_pool_timeout_seconds: float = Field(default=10, gt=0)
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    # The published register is served like a web page: browsers and proxies may keep today's register
    # this long (then revalidate, which costs a 304), a past date's longer (it changes only when a
    # record is dated back to it).
    register_max_age_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    register_past_max_age_seconds: int = Field(default=24 * 3600, ge=0, le=365 * 24 * 3600)
    # The sites that may show the register inside their own pages (?embed=1), e.g.
    # https://www.hillside.sch.uk; nobody by default.
    register_frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Where pg_dump and pg_restore live, for backups of a PostgreSQL database (default: the PATH).
    pg_bin_dir: Path | None = None
    # Email (docs/notifications.md). No host: notifications wait in the outbox until one is set.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    # STARTTLS before login; false only for a relay on this machine or a trusted network.
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = Field(default="probity@localhost", max_length=320)
    # Links in emails point here (the address people use to reach this service).
    base_url: str = Field(default="http://127.0.0.1:8000", max_length=500)
    # Retries: the n-th failed attempt waits backoff * 2**(n-1) (at most the maximum) before the next;
    # after max_attempts the notification is `failed`, with its error, until an admin retries it.
    notification_max_attempts: int = Field(default=8, ge=1, le=100)
    notification_backoff_seconds: float = Field(default=60, gt=0)
    notification_backoff_max_seconds: float = Field(default=6 * 3600, gt=0)
    # How often the sender looks for due notifications when the outbox is empty.
    notification_poll_seconds: float = Field(default=5, gt=0)
    # Messages claimed at once and sent over one SMTP connection.
    notification_batch_size: int = Field(default=100, ge=1, le=1000)
    # A claimed notification not recorded as sent within this time (its sender died) is sent again.
    notification_lease_seconds: float = Field(default=600, gt=0)

    @field_validator("cors_origins", "trusted_proxies", "register_frame_ancestors", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"PROBITY_BASE_URL: {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str) -> str:
        """One address, optionally with a display name: it becomes the From header and SMTP's MAIL
        FROM, where a second address or a line break would be a header of the writer's choosing."""
        found = getaddresses([value])
        if "\r" in value or "\n" in value or len(found) != 1 or "@" not in found[0][1]:
            raise ValueError(
                f"PROBITY_MAIL_FROM: {value!r} is not one address (e.g. Probity <probity@trust.example>)"
            )
        return value

    @model_validator(mode="after")
    def _check_lease(self) -> "Settings":
        # A sender starts no message within PROBITY_SMTP_TIMEOUT_SECONDS of its lease's end, so a
        # lease not well above the timeout would send little or nothing.
        if self.notification_lease_seconds < 4 * self.smtp_timeout_seconds:
            raise ValueError(
                "PROBITY_NOTIFICATION_LEASE_SECONDS must be at least 4 times PROBITY_SMTP_TIMEOUT_SECONDS"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"PROBITY_TIMEZONE: {value!r} is not a time zone (e.g. Europe/London)") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"PROBITY_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                    "(trusting every sender's X-Forwarded-For would let anyone choose their address)"
                ) from None
        return value

    @field_validator("register_frame_ancestors")
    @classmethod
    def _check_frame_ancestors(cls, value: list[str]) -> list[str]:
        """Origins only (scheme, host, optional port): they go into a Content-Security-Policy header,
        where a stray ';' or space would add a directive of the writer's choosing."""
        for entry in value:
            if not _ORIGIN.fullmatch(entry):
                raise ValueError(
                    f"PROBITY_REGISTER_FRAME_ANCESTORS: {entry!r} is not an origin "
                    "(e.g. https://www.hillside.sch.uk, with no path)"
                )
        return value

    @model_validator(mode="after")
    def _check_keys(self) -> "Settings":
        for name, dev_value in _KEYS_AND_DEFAULTS:
            setattr(self, name, SecretStr(_checked_key(self.env, name, getattr(self, name), dev_value)))
        return self

    @property
    def development_key_variables(self) -> list[str]:
        """The key variables left unset, so that the published development keys stand in for them."""
        return [
            f"PROBITY_{name.upper()}"
            for name, dev_value in _KEYS_AND_DEFAULTS
            if self.key_bytes(name) == dev_value.encode()
        ]

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'probity.db').resolve()}"

    def key_bytes(self, name: KeyName) -> bytes:
        value = getattr(self, name)
        assert isinstance(value, SecretStr)
        return value.get_secret_value().encode()


def _checked_key(env: str, name: str, value: SecretStr | None, dev_value: str) -> str:
    variable = f"PROBITY_{name.upper()}"
    raw = value.get_secret_value() if value is not None else ""
    if not raw:
        if env == "production":
            raise ConfigurationError(f"{variable} must be set when PROBITY_ENV=production")
        logger.warning("%s is not set: using the fixed development key (never in production)", variable)
        return dev_value
    if len(raw.encode()) < MIN_KEY_BYTES:
        raise ConfigurationError(f"{variable} must be at least {MIN_KEY_BYTES} bytes long")
    if env == "production" and raw in KNOWN_DEFAULT_KEYS:
        raise ConfigurationError(f"{variable} is a published default key; generate a new one")
    return raw


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()


def is_loopback(host: str) -> bool:
    """Whether a listening address or a client address is this machine's own loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_development_keys_beyond_loopback(settings: Settings, host: str) -> None:
    """The development keys are published in the code: anyone could sign a token with them, so a
    server using them may listen on loopback only."""
    unset = settings.development_key_variables
    if unset and not is_loopback(host):
        raise ConfigurationError(
            f"{' and '.join(unset)} not set: the published development keys serve only loopback "
            f"(127.0.0.1, ::1), not {host}; set real keys (and PROBITY_ENV=production) to listen there"
        )
