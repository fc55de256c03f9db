"""Onboarding from the command line, scriptable with --json, secrets encrypted at rest."""

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from evinfra.cli import app
from evinfra.protocols.tcec.crypto import KeySet

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EVINFRA_DATABASE_URL", raising=False)
    monkeypatch.delenv("EVINFRA_MASTER_KEY", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def add(operator_id="123456789", name="示例充电公司"):
    return runner.invoke(app, ["operator", "add", "--operator-id", operator_id, "--name", name, "--json"])


def test_add_prints_the_key_set_once_as_json_and_stores_it_encrypted(data_dir):
    result = add()
    assert result.exit_code == 0, result.output
    wire = json.loads(result.stdout)
    assert set(wire) == {"OperatorID", "OperatorSecret", "DataSecret", "DataSecretIV", "SigSecret"}
    assert wire["OperatorID"] == "123456789"
    KeySet(wire["OperatorSecret"], wire["DataSecret"], wire["DataSecretIV"], wire["SigSecret"])  # usable as is
    assert len(wire["OperatorSecret"]) == 32 and len(wire["SigSecret"]) == 32
    dump = "\n".join(sqlite3.connect(data_dir / "evinfra.sqlite3").iterdump())
    for secret in ("OperatorSecret", "DataSecret", "DataSecretIV", "SigSecret"):
        assert wire[secret] not in dump  # encrypted at rest
    assert oct((data_dir / "master.key").stat().st_mode & 0o777) == "0o600"


def test_duplicate_and_invalid_operators_are_refused_with_a_clear_message(data_dir):
    assert add().exit_code == 0
    again = add()
    assert again.exit_code == 1 and "已存在" in again.output
    bad = add(operator_id="12345")
    assert bad.exit_code == 1 and "operator_id" in bad.output


def test_list_suspend_activate_and_rotate(data_dir):
    first = json.loads(add().stdout)
    assert runner.invoke(app, ["operator", "suspend", "123456789"]).exit_code == 0
    listing = runner.invoke(app, ["operator", "list"])
    assert "123456789" in listing.output and "suspended" in listing.output
    assert runner.invoke(app, ["operator", "activate", "123456789"]).exit_code == 0
    rotated = json.loads(runner.invoke(app, ["operator", "rotate-keys", "123456789", "--json"]).stdout)
    assert rotated["OperatorSecret"] != first["OperatorSecret"]
    assert runner.invoke(app, ["operator", "suspend", "999999999"]).exit_code == 1


def test_apikey_create_and_revoke(data_dir):
    created = runner.invoke(app, ["apikey", "create", "--role", "admin", "--name", "省能源局"])
    assert created.exit_code == 0 and "evk_" in created.stdout
    assert runner.invoke(app, ["apikey", "create", "--role", "emperor"]).exit_code == 1
    assert runner.invoke(app, ["apikey", "revoke", "1"]).exit_code == 0
    assert runner.invoke(app, ["apikey", "revoke", "1"]).exit_code == 1


def test_profile_is_chosen_at_onboarding_listed_changed_and_kept_by_key_rotation(data_dir):
    added = runner.invoke(
        app, ["operator", "add", "--operator-id", "123456789", "--name", "深圳客户端", "--profile", "shenzhen"]
    )
    assert added.exit_code == 0, added.output
    assert "shenzhen" in runner.invoke(app, ["operator", "list"]).output
    assert runner.invoke(app, ["operator", "rotate-keys", "123456789", "--json"]).exit_code == 0
    assert "shenzhen" in runner.invoke(app, ["operator", "list"]).output  # new secrets, same client
    assert runner.invoke(app, ["operator", "set-profile", "123456789", "zhejiang"]).exit_code == 0
    assert "zhejiang" in runner.invoke(app, ["operator", "list"]).output


def test_unknown_profile_is_refused_naming_the_known_ones(data_dir):
    bad = runner.invoke(app, ["operator", "add", "--operator-id", "123456789", "--name", "x", "--profile", "hainan"])
    assert bad.exit_code == 1 and "shenzhen" in bad.output and "zhejiang" in bad.output
    assert "123456789" not in runner.invoke(app, ["operator", "list"]).output  # nothing written
    assert add().exit_code == 0
    assert runner.invoke(app, ["operator", "set-profile", "123456789", "hainan"]).exit_code == 1
    assert runner.invoke(app, ["operator", "set-profile", "999999999", "shenzhen"]).exit_code == 1
