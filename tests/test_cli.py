"""The CLI as a user runs it: configuration from the environment, the schema created by ``db upgrade``."""

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from evinfra.cli import app
from evinfra.store import migrate
from evinfra.store.engine import make_engine

runner = CliRunner()


def test_db_upgrade_creates_the_embedded_store_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EVINFRA_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    db = tmp_path / "var" / "evinfra.sqlite3"
    assert db.exists()
    assert str(tmp_path / "var") in result.output
    assert migrate.current_revision(make_engine(f"sqlite:///{db}")) == migrate.head_revision()
    assert runner.invoke(app, ["db", "current"]).exit_code == 0


def test_db_current_fails_with_a_hint_before_upgrade(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "evinfra db upgrade" in result.output


def test_dotenv_file_configures_the_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVINFRA_DATA_DIR", raising=False)
    monkeypatch.delenv("EVINFRA_DATABASE_URL", raising=False)
    (tmp_path / ".env").write_text(f"EVINFRA_DATABASE_URL=sqlite:///{tmp_path / 'from-env.sqlite3'}\n")
    result = runner.invoke(app, ["info"])
    assert "from-env.sqlite3" in result.output


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "evinfra"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "0.1.0"
