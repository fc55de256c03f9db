"""The pull path into the store: what :class:`~evinfra.ingest.pull.PullScheduler` fetched, written like a push.

A pulled StationInfo goes through the same translator (:func:`evinfra.protocols.tcec.translate.station_info`) and
the same write (:func:`evinfra.ingest.notifications.write_station`) as ``notification_stationInfo``; each entry of a
pulled StationStatusInfo goes through :func:`~evinfra.protocols.tcec.translate.connector_status` and
:func:`~evinfra.ingest.notifications.write_status` like ``notification_stationStatus``. The report time of a pulled
status is its StatusTime/UpdateTime when the operator sends one (the rule the hub applies to pushes), else the pull
time; a late answer is therefore spliced into history exactly like a late push.

Each sink call is one unit of work and one commit. Items are independent: a StationInfo or ConnectorStatusInfo that
cannot be read or stored is logged and counted as a data-quality finding with variant ``rejected`` (or
``unknown_connector``), never raised, so one bad station does not stop an operator's sync. What is raised is the
store failing (a lost connection, a lock timeout): the scheduler then marks the sync failed and backs off.

Tolerated deviations are counted like the hub's, under the interface that was called (``query_stations_info``,
``query_station_status``); those of the response envelope (a lower-case Sig, a Ret sent as a string) arrive through
the pull client's ``on_deviation`` hook, see :meth:`PullSink.deviation_recorder`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.exc import DataError, IntegrityError

from evinfra.config import Settings
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.operator import OperatorStatus
from evinfra.domain.region import RegionCatalog
from evinfra.ingest.keyring import open_keys
from evinfra.ingest.notifications import (
    ConnectorCache,
    QualityNote,
    UnknownObject,
    tally,
    write_station,
    write_status,
)
from evinfra.ingest.pull import PullKind, PullTarget
from evinfra.protocols.tcec import translate
from evinfra.protocols.tcec.client import PullClient
from evinfra.protocols.tcec.envelope import Deviation
from evinfra.protocols.tcec.fields import Findings, Reader, WireFormatError
from evinfra.protocols.tcec.profiles import PROFILES, STANDARD, Profile
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

__all__ = [
    "INTERFACES",
    "REJECTED",
    "UNKNOWN_CONNECTOR",
    "PullContext",
    "PullSink",
    "build_targets",
    "close_targets",
]

log = logging.getLogger("evinfra.ingest.pull_sink")

INTERFACES: Mapping[PullKind, str] = {"station_info": "query_stations_info", "station_status": "query_station_status"}
REJECTED = "rejected"  # the item could not be read or stored; example = the reason
UNKNOWN_CONNECTOR = "unknown_connector"  # a status for a connector the operator never registered with us
STATUS_ARRAY = "ConnectorStatusInfos"

# Data that cannot be stored: one item's problem, recorded, not the sync's. Everything else propagates.
_ITEM_ERRORS = (WireFormatError, DomainValidationError, UnknownObject, IntegrityError, DataError)
_INDEX = re.compile(r"\[\d+\]")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PullSink:
    """``sink(operator_id, kind, payload)`` for :class:`~evinfra.ingest.pull.PullTarget`: translate, write, commit.

    ``counts`` tallies what happened since the sink was made (``stations``, ``stations_rejected``, ``statuses``,
    ``statuses_rejected``), for the command line's summary.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        regions: RegionCatalog,
        clock: Callable[[], datetime] = _utc_now,
        *,
        connectors: ConnectorCache | None = None,
    ) -> None:
        self._uow = uow_factory
        self._regions = regions
        self._clock = clock
        self._connectors = connectors if connectors is not None else ConnectorCache()
        self.counts: Counter[str] = Counter()
        # operator → the code lists its software uses (its key set's profile); standard when not set
        self.partners: dict[str, Profile] = {}

    def __call__(self, operator_id: str, kind: PullKind, payload: dict[str, Any]) -> None:
        if kind == "station_info":
            self.station_info(operator_id, payload)
        elif kind == "station_status":
            self.station_status(operator_id, payload)
        else:  # pragma: no cover - PullKind is a closed Literal
            raise ValueError(f"unknown pull kind {kind!r}")

    # --- query_stations_info ------------------------------------------------------------------------------------
    def station_info(self, operator_id: str, payload: Mapping[str, Any]) -> bool:
        """Store one pulled StationInfo; False (logged and counted as a finding) when it is rejected."""
        interface = INTERFACES["station_info"]
        now = self._clock()
        label = _label(payload, "StationID")
        try:
            parsed = translate.station_info(
                payload, operator_id, interface=interface, partner=self.partners.get(operator_id, PROFILES[STANDARD])
            )
        except (WireFormatError, DomainValidationError) as exc:
            self._reject(operator_id, interface, f"StationID {label}", exc, now)
            self.counts["stations_rejected"] += 1
            return False
        with self._uow() as uow:
            error = _attempt(uow, lambda: write_station(uow, parsed.value, now, self._regions))
            if error is None:
                tally(uow, operator_id, now, _notes(parsed.findings))
            else:
                tally(uow, operator_id, now, [_rejection(interface, error, f"StationID {label}")])
            uow.commit()
        if error is not None:
            _log_rejection(operator_id, interface, f"StationID {label}", error)
            self.counts["stations_rejected"] += 1
            return False
        self.counts["stations"] += 1
        return True

    # --- query_station_status -----------------------------------------------------------------------------------
    def station_status(self, operator_id: str, payload: Mapping[str, Any]) -> int:
        """Apply one pulled StationStatusInfo, entry by entry; returns how many entries were applied."""
        interface = INTERFACES["station_status"]
        now = self._clock()
        where = f"StationID {_label(payload, 'StationID')}"
        outer = Findings(interface)
        entries = _status_entries(Reader(payload, outer) if isinstance(payload, Mapping) else None, outer)
        if entries is None:
            exc = WireFormatError(STATUS_ARRAY, "应为对象数组", "expected an array of objects")
            self._reject(operator_id, interface, where, exc, now)
            self.counts["statuses_rejected"] += 1
            return 0
        applied = 0
        notes = _notes(outer.wrap(None).findings)
        rejected: list[tuple[str, Exception]] = []
        with self._uow() as uow:
            for index, entry in enumerate(entries):
                item = f"{where} {STATUS_ARRAY}[{index}] ConnectorID {_label(entry, 'ConnectorID')}"
                try:
                    if not isinstance(entry, Mapping):
                        raise WireFormatError(STATUS_ARRAY, "数组元素应为对象", "an array item is not an object")
                    parsed = translate.connector_status(entry, interface=interface)
                except (WireFormatError, DomainValidationError) as exc:
                    notes.append(_rejection(interface, exc, item, prefix=STATUS_ARRAY))
                    rejected.append((item, exc))
                    continue
                error = _attempt(uow, partial(self._write_status, uow, operator_id, parsed.value, now))
                if isinstance(error, UnknownObject):
                    field = f"{STATUS_ARRAY}.ConnectorID"
                    notes.append(QualityNote(interface, field, UNKNOWN_CONNECTOR, item))
                    rejected.append((item, error))
                elif error is not None:
                    notes.append(_rejection(interface, error, item, prefix=STATUS_ARRAY))
                    rejected.append((item, error))
                else:
                    notes += _notes(parsed.findings, prefix=STATUS_ARRAY)
                    applied += 1
            tally(uow, operator_id, now, notes)
            uow.commit()
        for item, problem in rejected:
            _log_rejection(operator_id, interface, item, problem)
        self.counts["statuses"] += applied
        self.counts["statuses_rejected"] += len(rejected)
        return applied

    def _write_status(
        self, uow: SqlUnitOfWork, operator_id: str, msg: translate.ConnectorStatusMsg, pulled_at: datetime
    ) -> None:
        reported_at = msg.status_time or pulled_at
        write_status(
            uow, self._connectors, operator_id, msg.connector_id, msg.state, int(msg.status), reported_at, 0, pulled_at
        )

    # --- envelope deviations of the operator's answers ----------------------------------------------------------
    def deviation_recorder(self, operator_id: str) -> Callable[[str, Deviation], None]:
        """An ``on_deviation`` hook for :class:`PullClient`: counts a tolerated response deviation, committed."""

        def record(interface: str, deviation: Deviation) -> None:
            note = QualityNote(interface, deviation.field, deviation.variant, interface)
            with self._uow() as uow:
                tally(uow, operator_id, self._clock(), [note])
                uow.commit()

        return record

    def _reject(self, operator_id: str, interface: str, item: str, exc: Exception, now: datetime) -> None:
        _log_rejection(operator_id, interface, item, exc)
        with self._uow() as uow:
            tally(uow, operator_id, now, [_rejection(interface, exc, item)])
            uow.commit()


def _status_entries(r: Reader | None, findings: Findings) -> list[object] | None:
    """The ConnectorStatusInfos[] of a StationStatusInfo as sent (any spelling, one object taken as a one-item
    array, absent = empty), or None when it is no array at all. Entries are checked one by one by the caller."""
    if r is None:
        return None
    found = r.raw(STATUS_ARRAY)
    if found is None:
        findings.add(STATUS_ARRAY, "absent", {STATUS_ARRAY: None})
        return []
    if isinstance(found, Mapping):
        findings.add(STATUS_ARRAY, "object_not_array", {STATUS_ARRAY: "{…}"})
        return [found]
    if not isinstance(found, list):
        return None
    if not found:
        findings.add(STATUS_ARRAY, "empty", {STATUS_ARRAY: []})
    return list(found)


def _attempt(uow: SqlUnitOfWork, work: Callable[[], object]) -> Exception | None:
    """Run one item's write in a SAVEPOINT; its data errors roll back only that item and are returned."""
    savepoint = uow.session.begin_nested()
    try:
        work()
    except _ITEM_ERRORS as exc:
        if savepoint.is_active:
            savepoint.rollback()
        return exc
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()
    return None


def _notes(findings: Iterable[translate.Finding], prefix: str = "") -> list[QualityNote]:
    lead = f"{prefix}." if prefix else ""
    return [QualityNote(f.interface, lead + f.field, f.variant, f.example) for f in findings]


def _rejection(interface: str, exc: Exception, item: str, *, prefix: str = "") -> QualityNote:
    """A finding for a rejected item: the field it failed on (wire path without indices), ``rejected``, the reason."""
    if isinstance(exc, WireFormatError):
        field, reason = _INDEX.sub("", exc.field), exc.message
    elif isinstance(exc, DomainValidationError):
        field, reason = exc.field, exc.message
    elif isinstance(exc, UnknownObject):
        field, reason = exc.kind, str(exc)
    else:
        field, reason = "<store>", type(exc).__name__
    if prefix and not field.startswith(prefix):
        field = f"{prefix}.{field}"
    return QualityNote(interface, field, REJECTED, f"{item}: {reason}")


def _log_rejection(operator_id: str, interface: str, item: str, exc: Exception) -> None:
    log.warning("pull %s %s: %s rejected: %s", operator_id, interface, item, str(exc).splitlines()[0][:300])


def _label(obj: object, name: str) -> str:
    """The item's ID for messages, whatever was sent (a missing or odd ID is exactly what may be wrong)."""
    if isinstance(obj, Mapping):
        value = obj.get(name)
        if value is None:
            value = next((v for k, v in obj.items() if isinstance(k, str) and k.casefold() == name.casefold()), None)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:40]
    return "?"


# --- targets ------------------------------------------------------------------------------------------------------


class PullContext(Protocol):
    """What :func:`build_targets` needs from the composition root (:class:`evinfra.bootstrap.Container`)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def uow(self) -> UnitOfWorkFactory: ...

    @property
    def regions(self) -> RegionCatalog: ...

    @property
    def master(self) -> Fernet: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def build_targets(
    context: PullContext,
    *,
    sink: PullSink | None = None,
    http: httpx.Client | None = None,
    operator_ids: Collection[str] | None = None,
    timeout: float = 15.0,
) -> list[PullTarget]:
    """One target per operator with a platform→operator key set and base URL (``evinfra operator set-pull``).

    Operators that are not active (suspended, exited) are skipped, as their pushes are refused too. Keys are
    decrypted under the master key here and live only in the clients. Close the clients with :func:`close_targets`.
    """
    sink = sink if sink is not None else PullSink(context.uow, context.regions, context.clock)
    with context.uow() as uow:
        stored = uow.hub.pull_targets()
        status = {s.operator_id: _status(uow, s.operator_id) for s in stored}
        pushed = {s.operator_id: uow.hub.get_keys(s.operator_id, "in") for s in stored}
    targets: list[PullTarget] = []
    for keys in sorted(stored, key=lambda s: s.operator_id):
        if operator_ids is not None and keys.operator_id not in operator_ids:
            continue
        if status[keys.operator_id] is not OperatorStatus.ACTIVE:
            log.info("pull %s skipped: operator is %s", keys.operator_id, status[keys.operator_id])
            continue
        assert keys.base_url is not None  # pull_targets() selects rows with a base URL
        client = PullClient(
            keys.base_url,
            keys.our_operator_id or context.settings.tcec_operator_id,
            open_keys(keys.secrets_enc, context.master),
            http=http,
            clock=context.clock,
            aliases=keys.aliases,
            timeout=timeout,
            on_deviation=sink.deviation_recorder(keys.operator_id),
        )
        inbound = pushed[keys.operator_id]  # one operator, one software: its push profile holds for its CPO side
        sink.partners[keys.operator_id] = PROFILES.get(inbound.profile if inbound else keys.profile, PROFILES[STANDARD])
        targets.append(PullTarget(keys.operator_id, client, sink))
    return targets


def _status(uow: SqlUnitOfWork, operator_id: str) -> OperatorStatus | None:
    operator = uow.operators.get(operator_id)
    return None if operator is None else operator.status


def close_targets(targets: Sequence[PullTarget]) -> None:
    """Close the HTTP clients :func:`build_targets` made."""
    for target in targets:
        if isinstance(target.client, PullClient):
            target.client.close()
