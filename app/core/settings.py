"""The one reader of the environment: every setting has the PROBITY_ prefix."""

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

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


class ConfigurationError(RuntimeError):
    """The service cannot start with this configuration; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROBITY_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    trust_name: str = Field(default="", max_length=200)
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
    login_max_failures: int = Field(default=9, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 1024 * 1024
    sqlite_busy_timeout_ms: int = 10_000
    db_pool_size: int = Field(default=10, ge=1)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _check_keys(self) -> "Settings":
        for name, dev_value in (("secret_key", DEV_SECRET_KEY), ("audit_key", DEV_AUDIT_KEY)):
            setattr(self, name, SecretStr(_checked_key(self.env, name, getattr(self, name), dev_value)))
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'probity.db').resolve()}"

    def key_bytes(self, name: Literal["secret_key", "audit_key"]) -> bytes:
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
