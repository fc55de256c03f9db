#!/usr/bin/env bash
# README command 2: set up and run the whole test suite: lint, types, tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev

# The store tests run on PostgreSQL too. Under CI=true an unreachable server fails the run.
export EVINFRA_TEST_POSTGRES_URL="${EVINFRA_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
pg_ready() { .venv/bin/python - <<'PY'
import os, sys
import psycopg
url = os.environ["EVINFRA_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}
if ! pg_ready; then
  if [ "${CI:-}" = "true" ] && command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  fi
  if ! pg_ready && [ "${CI:-}" = "true" ]; then
    echo "CI=true: PostgreSQL is required for the store tests" >&2
    exit 1
  fi
fi

echo "== ruff =="
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy (strict on domain/) =="
.venv/bin/mypy
echo "== pytest =="
exec .venv/bin/python -m pytest "$@"
