"""``evinfra scenario build`` / ``info`` as a user runs them on the embedded store."""

from typer.testing import CliRunner

from evinfra.cli import app

runner = CliRunner()


def test_build_then_info(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EVINFRA_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["scenario", "info"]).exit_code == 1  # nothing loaded yet
    built = runner.invoke(app, ["scenario", "build", "--snapshot", "2022", "--seed", "3"])
    assert built.exit_code == 0, built.output
    assert "33,593" in built.output and "1,753" in built.output and "21,895" in built.output
    info = runner.invoke(app, ["scenario", "info"])
    assert info.exit_code == 0 and "snapshot 2022 · seed 3" in info.output


def test_unknown_snapshot_is_refused_with_the_allowed_years(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["scenario", "build", "--snapshot", "2030"])
    assert result.exit_code == 1 and "2025" in result.output
