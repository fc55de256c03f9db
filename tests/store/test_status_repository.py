"""Status history as intervals: exact, idempotent, and robust to late delivery."""

from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evinfra.domain.status import Occupancy, OperationalState, from_tcec
from evinfra.ingest.services import record_status, register_operator, save_station
from evinfra.regions.divisions import shanxi
from evinfra.store.repositories.status import Applied, StatusReport
from tests.conftest import NOW
from tests.networks import OP, tree

T = [NOW + timedelta(minutes=10 * i) for i in range(8)]


@pytest.fixture
def connector(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    save_station(tree("A", 1), uow_factory(), NOW, shanxi())
    with uow_factory() as uow:
        return uow.network.connector_pk(OP, "AE01C1")


def report(uow_factory, pk, status, at, seq=1):
    return record_status(StatusReport(pk, from_tcec(status), at, seq, status), uow_factory(), at)


def spans(uow_factory, pk, start=None, end=None):
    with uow_factory() as uow:
        return [
            (i.state.operational.value, i.state.occupancy.value, i.start, i.end)
            for i in uow.status.history(pk, start, end)
        ]


def test_changes_close_and_open_intervals(uow_factory, connector):
    assert report(uow_factory, connector, 1, T[0]) is Applied.CURRENT
    assert report(uow_factory, connector, 3, T[1]) is Applied.CURRENT
    assert report(uow_factory, connector, 3, T[2]) is Applied.CURRENT  # same state: confirms, no new interval
    assert report(uow_factory, connector, 255, T[3]) is Applied.CURRENT
    assert spans(uow_factory, connector) == [
        ("online", "free", T[0], T[1]),
        ("online", "charging", T[1], T[3]),
        ("faulted", "unknown", T[3], None),
    ]
    with uow_factory() as uow:
        state, since, reported = uow.status.current(connector)
    assert (state.operational, state.occupancy, since, reported) == (
        OperationalState.FAULTED,
        Occupancy.UNKNOWN,
        T[3],
        T[3],
    )


def test_duplicate_report_is_idempotent(uow_factory, connector):
    report(uow_factory, connector, 1, T[0])
    report(uow_factory, connector, 3, T[1])
    before = spans(uow_factory, connector)
    assert report(uow_factory, connector, 3, T[1]) is Applied.DUPLICATE
    assert spans(uow_factory, connector) == before


def test_late_report_goes_into_history_but_not_current_state(uow_factory, connector):
    report(uow_factory, connector, 1, T[0])
    report(uow_factory, connector, 1, T[4])  # confirms free at T4
    assert report(uow_factory, connector, 3, T[2]) is Applied.HISTORY  # charging at T2, delivered late
    with uow_factory() as uow:
        assert uow.status.current(connector)[0] == from_tcec(1)
    assert spans(uow_factory, connector) == [
        ("online", "free", T[0], T[2]),
        ("online", "charging", T[2], T[4]),
        ("online", "free", T[4], None),
    ]


def test_late_report_inside_a_closed_interval_splits_it(uow_factory, connector):
    report(uow_factory, connector, 1, T[0])
    report(uow_factory, connector, 0, T[4])
    assert report(uow_factory, connector, 255, T[2]) is Applied.HISTORY
    assert spans(uow_factory, connector) == [
        ("online", "free", T[0], T[2]),
        ("faulted", "unknown", T[2], T[4]),
        ("offline", "unknown", T[4], None),
    ]


def test_report_older_than_all_history_is_prepended(uow_factory, connector):
    report(uow_factory, connector, 1, T[3])
    assert report(uow_factory, connector, 0, T[1]) is Applied.HISTORY
    assert spans(uow_factory, connector)[0] == ("offline", "unknown", T[1], T[3])


def test_seq_orders_reports_within_the_same_second(uow_factory, connector):
    report(uow_factory, connector, 2, T[0], seq=2)
    assert report(uow_factory, connector, 1, T[0], seq=1) is Applied.DUPLICATE  # earlier seq, same instant
    with uow_factory() as uow:
        assert uow.status.current(connector)[0] == from_tcec(2)


def test_history_window_and_overlap_give_exact_uptime(uow_factory, connector):
    report(uow_factory, connector, 1, T[0])
    report(uow_factory, connector, 255, T[1])
    report(uow_factory, connector, 1, T[3])
    with uow_factory() as uow:
        intervals = uow.status.history(connector, T[1], T[5])
    up = sum(i.overlap_seconds(T[0], T[5]) for i in intervals if i.state.in_service)
    down = sum(i.overlap_seconds(T[0], T[5]) for i in intervals if not i.state.in_service)
    assert [i.start for i in intervals] == [T[1], T[3]]  # the T0 interval ended at T1: outside the window
    assert (up, down) == (20 * 60, 20 * 60)  # T3..T5 up, T1..T3 faulted


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_closing_the_open_interval_does_not_read_the_connectors_history(engine):
    """Every status change closes the open interval; through (connector_pk, started_at) that read every interval
    the connector ever had, so status changes slowed down as history grew (migration 0005)."""
    from sqlalchemy.dialects import sqlite

    from evinfra.store.repositories.status import _STATEMENTS

    sql = _STATEMENTS.for_dialect(sqlite.dialect())["close_open"].sql
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("2026-01-01", "2026-01-01", 1)).all()
    assert [row[-1] for row in plan] == [
        "SEARCH connector_status_intervals USING INDEX ix_intervals_open (connector_pk=?)"
    ]


# --- any order of arrival -----------------------------------------------------------------------------------------

_STATUSES = (0, 1, 2, 3, 4, 255)
_stations = iter(range(10**6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(_STATUSES)), min_size=1, max_size=12, unique_by=lambda r: r[0]
    ).flatmap(lambda reports: st.tuples(st.just(reports), st.permutations(reports)))
)
def test_any_arrival_order_ends_at_the_latest_report_with_contiguous_history(uow_factory, connector, data):
    """Reports (one per instant) arriving in any order: the current state is the latest report's, and the history
    covers the time from the first report on without gaps or overlaps, ending in that state, every interval
    starting at a reported instant. (Which state holds between two reports can depend on the order of arrival:
    a late report holds until the next change the store knows of.)"""
    reports, arrival = data
    station = f"Q{next(_stations)}"
    save_station(tree(station, 1), uow_factory(), NOW, shanxi())
    with uow_factory() as uow:
        pk = uow.network.connector_pk(OP, f"{station}E01C1")
    for minute, status in arrival:
        report(uow_factory, pk, status, NOW + timedelta(minutes=minute))

    first_minute, _ = min(reports)
    last_minute, last_status = max(reports)
    with uow_factory() as uow:
        state, _, reported_at = uow.status.current(pk)
    assert (state, reported_at) == (from_tcec(last_status), NOW + timedelta(minutes=last_minute))

    history = spans(uow_factory, pk)
    reported = {NOW + timedelta(minutes=m) for m, _ in reports}
    assert history[0][2] == NOW + timedelta(minutes=first_minute)
    assert all(start in reported for _, _, start, _ in history)
    assert all(a[3] == b[2] for a, b in pairwise(history)), history
    assert all(end is not None and start <= end for _, _, start, end in history[:-1]), history
    last = from_tcec(last_status)
    assert history[-1][:2] == (last.operational.value, last.occupancy.value) and history[-1][3] is None, history
