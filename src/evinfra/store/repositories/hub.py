"""Hub bookkeeping: key sets, tokens, API keys, replay guard, data-quality counts, power samples, pull state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evinfra.store.prepared import Statements, driver_connection
from evinfra.store.rows import (
    AccessTokenRow,
    ApiKeyRow,
    OperatorKeyRow,
    OperatorRow,
    PowerSampleRow,
    PullStateRow,
    QualityFindingRow,
    SeenEnvelopeRow,
)

# Prepared once per dialect: the replay guard runs for every notification the hub accepts.
_SEEN: Table = SeenEnvelopeRow.__table__  # type: ignore[assignment]
_SEEN_VALUES = {
    "sent_at": bindparam("sent_at", type_=_SEEN.c.sent_at.type),
    "operator_id": bindparam("operator_id"),
    "sig": bindparam("sig"),
    "received_at": bindparam("received_at", type_=_SEEN.c.received_at.type),
}
_SEEN_PG = Statements(
    insert=pg_insert(_SEEN)
    .values(_SEEN_VALUES)
    .on_conflict_do_nothing(index_elements=["sent_at", "operator_id", "sig"])
    .returning(_SEEN.c.sig)
)
_SEEN_SQLITE = Statements(
    insert=sqlite_insert(_SEEN)
    .values(_SEEN_VALUES)
    .on_conflict_do_nothing(index_elements=["sent_at", "operator_id", "sig"])
    .returning(_SEEN.c.sig)
)

# Data-quality counts: one atomic upsert per finding. A read-then-write through the ORM lost increments when two
# writers (PostgreSQL, several workers) counted the same finding at once, and failed one of them on the primary
# key when both saw it first. The example and first_seen stay those of the first sighting.
_FINDINGS: Table = QualityFindingRow.__table__  # type: ignore[assignment]


def _count_findings(insert: Any) -> Any:
    statement = insert(_FINDINGS)
    later = statement.excluded.last_seen > _FINDINGS.c.last_seen
    return statement.on_conflict_do_update(
        index_elements=["operator_id", "interface", "field", "variant"],
        set_={
            "count": _FINDINGS.c.count + statement.excluded.count,
            "last_seen": case((later, statement.excluded.last_seen), else_=_FINDINGS.c.last_seen),
        },
    )


_COUNT_FINDINGS = {"postgresql": _count_findings(pg_insert), "sqlite": _count_findings(sqlite_insert)}


@dataclass(slots=True)
class FindingTally:
    """Findings counted in one transaction, written at its commit: summed per finding and written in key order,
    after every connector lock the batch takes, so two writers' batches never wait for each other in a circle
    (PostgreSQL would abort one as a deadlock)."""

    counts: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=dict)

    def add(
        self, operator_id: str, interface: str, field_: str, variant: str, example: str, now: datetime, n: int = 1
    ) -> None:
        key = (operator_id, interface, _storable(field_[:64]), _storable(variant[:120]))
        seen = self.counts.get(key)
        if seen is None:
            self.counts[key] = [n, _storable(example[:500]), now, now]
        else:
            seen[0] += n
            seen[2], seen[3] = min(seen[2], now), max(seen[3], now)

    def clear(self) -> None:
        self.counts.clear()

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"operator_id": key[0], "interface": key[1], "field": key[2], "variant": key[3], "count": n,
             "example": example, "first_seen": first, "last_seen": last}
            for key, (n, example, first, last) in sorted(self.counts.items())
        ]  # fmt: skip


def _storable(text: str) -> str:
    """``text`` as any store takes it: NUL and lone surrogates replaced. A finding quotes what a sender sent,
    and one that could not be written would fail the commit of its whole batch (the parsers refuse such
    text already; this keeps one missed path from costing other operators their writes)."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


# Power samples: one per (station, equipment, connector, time). The conflict target repeats the unique index
# ux_power_samples_sample, with '' written inline (a bound parameter would not match the index expression).
_POWER: Table = PowerSampleRow.__table__  # type: ignore[assignment]
_POWER_VALUES = {
    "station_pk": bindparam("station_pk"),
    "equipment_id": bindparam("equipment_id"),
    "connector_id": bindparam("connector_id"),
    "sampled_at": bindparam("sampled_at", type_=_POWER.c.sampled_at.type),
    "power_kw": bindparam("power_kw"),
}
_POWER_IDENTITY = [
    _POWER.c.station_pk,
    _POWER.c.sampled_at,
    func.coalesce(_POWER.c.equipment_id, literal_column("''")),
    func.coalesce(_POWER.c.connector_id, literal_column("''")),
]
_POWER_PG = Statements(
    insert=pg_insert(_POWER)
    .values(_POWER_VALUES)
    .on_conflict_do_nothing(index_elements=_POWER_IDENTITY)
    .returning(_POWER.c.pk)
)
_POWER_SQLITE = Statements(
    insert=sqlite_insert(_POWER)
    .values(_POWER_VALUES)
    .on_conflict_do_nothing(index_elements=_POWER_IDENTITY)
    .returning(_POWER.c.pk)
)


@dataclass(frozen=True, slots=True)
class StoredKeys:
    operator_id: str
    direction: str
    secrets_enc: str
    base_url: str | None
    our_operator_id: str | None
    aliases: dict[str, str]
    profile: str


@dataclass(frozen=True, slots=True)
class FindingCount:
    operator_id: str
    interface: str
    field: str
    variant: str
    count: int
    example: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class PullState:
    """One operator's row of ``pull_state``: where the pull scheduler is with it (see
    :mod:`evinfra.ingest.pull_state` for what each column means to the scheduler)."""

    operator_id: str
    last_success_at: datetime | None = None
    last_query_time: datetime | None = None
    failures: int = 0
    next_due_at: datetime | None = None
    last_error: str = ""  # "" = none
    extra: dict[str, Any] = field(default_factory=dict)


class HubRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- key sets -----------------------------------------------------------------------------
    def put_keys(self, keys: StoredKeys, now: datetime) -> None:
        row = self.session.get(OperatorKeyRow, (keys.operator_id, keys.direction))
        if row is None:
            row = OperatorKeyRow(operator_id=keys.operator_id, direction=keys.direction, created_at=now)
            self.session.add(row)
        else:
            row.rotated_at = now
        row.secrets_enc = keys.secrets_enc
        row.base_url = keys.base_url
        row.our_operator_id = keys.our_operator_id
        row.aliases = dict(keys.aliases)
        row.profile = keys.profile
        self.session.flush()

    def get_keys(self, operator_id: str, direction: str) -> StoredKeys | None:
        row = self.session.get(OperatorKeyRow, (operator_id, direction))
        if row is None:
            return None
        return StoredKeys(
            row.operator_id, row.direction, row.secrets_enc, row.base_url, row.our_operator_id, row.aliases, row.profile
        )

    def push_credentials(self) -> list[tuple[str, str, str | None, str | None]]:
        """(operator_id, status, sealed operator→platform key set or None, its profile or None) of every operator,
        in one query: the hub's registry refreshes them all at once, whatever the number of operators."""
        keys = select(OperatorKeyRow).where(OperatorKeyRow.direction == "in").subquery()
        rows = self.session.execute(
            select(OperatorRow.operator_id, OperatorRow.status, keys.c.secrets_enc, keys.c.profile).outerjoin(
                keys, keys.c.operator_id == OperatorRow.operator_id
            )
        )
        return [(op, status, secrets, profile) for op, status, secrets, profile in rows]

    def pull_targets(self) -> list[StoredKeys]:
        rows = self.session.scalars(
            select(OperatorKeyRow).where(OperatorKeyRow.direction == "out", OperatorKeyRow.base_url.is_not(None))
        )
        return [
            StoredKeys(r.operator_id, r.direction, r.secrets_enc, r.base_url, r.our_operator_id, r.aliases, r.profile)
            for r in rows
        ]

    # --- pull scheduler state -----------------------------------------------------------------
    def get_pull_state(self, operator_id: str) -> PullState | None:
        row = self.session.get(PullStateRow, operator_id)
        if row is None:
            return None
        return PullState(
            row.operator_id,
            row.last_success_at,
            row.last_query_time,
            row.failures,
            row.next_due_at,
            row.last_error,
            dict(row.extra or {}),
        )

    def put_pull_state(self, state: PullState) -> None:
        """Insert or replace an operator's pull state (``last_error`` is cut to the column's 500 characters)."""
        row = self.session.get(PullStateRow, state.operator_id)
        if row is None:
            row = PullStateRow(operator_id=state.operator_id)
            self.session.add(row)
        row.last_success_at = state.last_success_at
        row.last_query_time = state.last_query_time
        row.failures = state.failures
        row.next_due_at = state.next_due_at
        row.last_error = state.last_error[:500]
        row.extra = dict(state.extra)
        self.session.flush()

    # --- tokens -------------------------------------------------------------------------------
    def add_token(self, token_hash: str, operator_id: str, issued_at: datetime, expires_at: datetime) -> None:
        self.session.add(
            AccessTokenRow(token_hash=token_hash, operator_id=operator_id, issued_at=issued_at, expires_at=expires_at)
        )
        self.session.flush()

    def token_owner(self, token_hash: str, now: datetime) -> tuple[str, datetime] | None:
        row = self.session.get(AccessTokenRow, token_hash)
        if row is None or row.expires_at <= now:
            return None
        return row.operator_id, row.expires_at

    def revoke_tokens(self, operator_id: str) -> None:
        """Only together with a new key set (``rotate_keys``): a worker holds a token it has seen until it expires
        or its operator's key set changes (``ingest/registry.py``), so a revocation alone would go unnoticed."""
        self.session.execute(delete(AccessTokenRow).where(AccessTokenRow.operator_id == operator_id))

    def purge_expired(self, now: datetime, replay_horizon: datetime) -> None:
        """Expired tokens, and envelopes sent before ``replay_horizon``: the freshness check refuses those
        before the replay guard is asked, so their signatures need not be kept."""
        self.session.execute(delete(AccessTokenRow).where(AccessTokenRow.expires_at <= now))
        self.session.execute(delete(SeenEnvelopeRow).where(SeenEnvelopeRow.sent_at < replay_horizon))

    # --- replay guard -------------------------------------------------------------------------
    def first_sighting(self, operator_id: str, sig: str, sent_at: datetime, now: datetime) -> bool:
        """Record an envelope signature; False when it was seen before (a replay). ``sent_at`` is the envelope's
        TimeStamp, which its Sig signs.

        One Core INSERT … ON CONFLICT DO NOTHING: this runs for every notification, and a read-then-add
        through the ORM cost about a third of the hub's time.
        """
        db = driver_connection(self.session)
        dialect = self.session.get_bind().dialect
        statement = (_SEEN_PG if dialect.name == "postgresql" else _SEEN_SQLITE).for_dialect(dialect)["insert"]
        row = statement.one_or_none(
            db, {"sent_at": sent_at, "operator_id": operator_id, "sig": sig, "received_at": now}
        )
        return row is not None  # RETURNING, not rowcount: psycopg reports -1 for this statement

    # --- API keys -----------------------------------------------------------------------------
    def add_api_key(self, key_hash: str, name: str, role: str, now: datetime) -> int:
        row = ApiKeyRow(key_hash=key_hash, name=name, role=role, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.pk

    def api_key_role(self, key_hash: str) -> tuple[str, str] | None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
        if row is None or row.revoked_at is not None:
            return None
        return row.name, row.role

    def revoke_api_key(self, pk: int, now: datetime) -> bool:
        result = self.session.execute(
            update(ApiKeyRow).where(ApiKeyRow.pk == pk, ApiKeyRow.revoked_at.is_(None)).values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- data quality -------------------------------------------------------------------------
    def count_finding(
        self, operator_id: str, interface: str, field: str, variant: str, example: str, now: datetime, n: int = 1
    ) -> None:
        tally = FindingTally()
        tally.add(operator_id, interface, field, variant, example, now, n)
        self.count_findings(tally)

    def count_findings(self, tally: FindingTally) -> None:
        """Add a transaction's findings (see :class:`FindingTally`) to the stored counts."""
        rows = tally.rows()
        if rows:
            self.session.execute(_COUNT_FINDINGS[self.session.get_bind().dialect.name], rows)

    def findings(self, operator_id: str | None = None) -> list[FindingCount]:
        """Read as rows, not ORM objects: the counts are written by the upsert above, which an object already
        loaded in this session would not see."""
        f = _FINDINGS.c
        query = select(f.operator_id, f.interface, f.field, f.variant, f.count, f.example, f.first_seen, f.last_seen)
        query = query.order_by(f.operator_id, f.interface, f.field, f.variant)
        if operator_id is not None:
            query = query.where(f.operator_id == operator_id)
        return [FindingCount(*row) for row in self.session.execute(query)]

    # --- power --------------------------------------------------------------------------------
    def add_power(
        self, station_pk: int, equipment_id: str | None, connector_id: str | None, at: datetime, power_kw: float
    ) -> bool:
        """Store one sample; False when the same sample is already stored (a re-sent or repeated report).

        A sample is identified by (station, equipment, connector, time), NULL equipment/connector included
        (station- and pile-level samples). The first value stored is kept: a repeat with a different power is
        ignored, not an update, so a retried notification cannot rewrite history.
        """
        db = driver_connection(self.session)
        dialect = self.session.get_bind().dialect
        statement = (_POWER_PG if dialect.name == "postgresql" else _POWER_SQLITE).for_dialect(dialect)["insert"]
        row = statement.one_or_none(
            db,
            {
                "station_pk": station_pk,
                "equipment_id": equipment_id,
                "connector_id": connector_id,
                "sampled_at": at,
                "power_kw": power_kw,
            },
        )
        return row is not None  # RETURNING, not rowcount: psycopg reports -1 for this statement
