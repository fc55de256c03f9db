"""Shared fixtures. Every store test runs twice: on SQLite (the embedded default) and on PostgreSQL.

PostgreSQL comes from ``EVINFRA_TEST_POSTGRES_URL`` (an admin URL; each test session creates and drops
its own database). Without it the PostgreSQL half is skipped on a laptop, but under ``CI=true`` a
missing or unreachable server fails the run: CI must never pass by skipping the production backend.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from evinfra.domain.operator import Operator
from evinfra.store import migrate
from evinfra.store.engine import make_engine
from evinfra.store.rows import Base
from evinfra.store.scratch import scratch_database
from evinfra.store.uow import UnitOfWorkFactory

NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
PG_ENV = "EVINFRA_TEST_POSTGRES_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        if _in_ci():
            pytest.fail(f"CI=true but {PG_ENV} is not set: the PostgreSQL store tests cannot run")
        pytest.skip(f"{PG_ENV} not set")
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_database(admin_url, "evinfra_test"))
        except Exception as exc:
            if _in_ci():
                pytest.fail(f"CI=true but PostgreSQL at {PG_ENV} is unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied per test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """An engine on a migrated, empty store, for each backend."""
    if request.param == "sqlite":
        path = tmp_path / "evinfra.sqlite3"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    yield eng
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine)


@pytest.fixture
def operator() -> Operator:
    return Operator(operator_id="MA0123456", name="太原龙城智迅示例公司", uscc="91140100MA01234567")


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(PG_ENV)
    shown = make_url(url).render_as_string(hide_password=True) if url else "not set (PostgreSQL half skipped)"
    return f"evinfra store backends: sqlite, postgresql at {shown}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many store tests ran on each backend, so a CI log shows PostgreSQL was really used."""
    counts = {"sqlite": {"passed": 0, "failed": 0, "skipped": 0}, "postgres": {"passed": 0, "failed": 0, "skipped": 0}}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            params = report.nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in report.nodeid else []
            for backend in counts:
                if backend in params:
                    counts[backend][outcome] += 1
    line = "; ".join(
        f"{b}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped" for b, c in counts.items()
    )
    terminalreporter.write_line(f"store tests by backend: {line}")
