"""Settings from the environment (and a ``.env`` file), one object for the whole process."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVINFRA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="where the embedded store and keys live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    master_key: str | None = Field(default=None, description="Fernet key for secrets at rest; default: data_dir")
    tcec_base_path: str = Field(default="/evcs/v1", description="where the T/CEC 102 hub answers")
    tcec_operator_id: str = Field(default="MA0EVINFR", description="the platform's own 9-char OperatorID")
    writer: Literal["auto", "process", "loop", "thread"] = Field(
        default="auto",
        description="group-commit writer: auto = a writer process (the loop writer for an in-memory SQLite)",
    )
    token_lifetime_s: int = Field(default=7200, ge=60, le=7 * 86400, description="TokenAvailableTime [s]")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'evinfra.sqlite3').resolve()}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir.resolve()
