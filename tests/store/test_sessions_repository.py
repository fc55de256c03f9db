from datetime import timedelta
from decimal import Decimal

import pytest

from evinfra.domain.alarm import Alarm, AlarmLevel, AlarmType, Event, EventType
from evinfra.domain.order import ChargeDetail, ChargeOrder, ChargeSeqStat, ChargeStatusSample
from evinfra.ingest.services import register_operator, save_station
from evinfra.regions.divisions import shanxi
from tests.conftest import NOW
from tests.networks import OP, tree


@pytest.fixture
def ids(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    save_station(tree("A", 1), uow_factory(), NOW, shanxi())
    with uow_factory() as uow:
        return uow.network.station_pk(OP, "A"), uow.network.connector_pk(OP, "AE01C1")


def order(seq="MA0123456000000000000000001", kwh=30.5):
    start, end = NOW, NOW + timedelta(minutes=45)
    detail = ChargeDetail(start, end, Decimal("0.6"), Decimal("0.8"), kwh, Decimal("18.30"), Decimal("24.40"))
    return ChargeOrder(
        OP, seq, "AE01C1", start, end, kwh, Decimal("18.30"), Decimal("24.40"), Decimal("42.70"), 7, 7, (detail,)
    )


def test_order_is_stored_once_and_round_trips(uow_factory, ids):
    _, connector_pk = ids
    with uow_factory() as uow:
        assert uow.sessions.add_order(order(), connector_pk, NOW)[1] is True
        uow.commit()
    with uow_factory() as uow:
        stored, created = uow.sessions.add_order(order(kwh=99.0), connector_pk, NOW)
        uow.commit()
    assert created is False and stored == order()  # a re-push does not overwrite the sale
    assert stored.stop_reason.name == "OTHER" and stored.stop_reason_code == 7
    with uow_factory() as uow:
        assert uow.sessions.orders(operator_id=OP, ended_from=NOW, ended_to=NOW + timedelta(hours=1)) == [order()]
        assert uow.sessions.orders(ended_from=NOW + timedelta(hours=1)) == []


def test_samples_are_idempotent(uow_factory, ids):
    _, connector_pk = ids
    sample = ChargeStatusSample(OP, "MA0123456000000000000000001", "AE01C1", NOW, ChargeSeqStat.CHARGING, 1.2)
    with uow_factory() as uow:
        assert uow.sessions.add_sample(sample, connector_pk) is True
        assert uow.sessions.add_sample(sample, connector_pk) is False
        uow.commit()


def test_alarm_is_raised_then_cleared(uow_factory, ids):
    station_pk, _ = ids
    raised = Alarm(OP, "A", AlarmType.CHARGING_SYSTEM, AlarmLevel.PERSONAL_SAFETY, 9, NOW, "AE01", "AE01C1")
    with uow_factory() as uow:
        assert uow.sessions.raise_or_clear_alarm(raised, station_pk) is True
        assert uow.sessions.raise_or_clear_alarm(raised, station_pk) is False
        uow.commit()
    cleared = Alarm(
        OP, "A", AlarmType.CHARGING_SYSTEM, AlarmLevel.PERSONAL_SAFETY, 9, NOW, "AE01", "AE01C1",
        cleared_at=NOW + timedelta(minutes=5),
    )  # fmt: skip
    with uow_factory() as uow:
        assert len(uow.sessions.alarms(open_only=True)) == 1
        uow.sessions.raise_or_clear_alarm(cleared, station_pk)
        uow.commit()
    with uow_factory() as uow:
        assert uow.sessions.alarms(open_only=True) == []
        assert uow.sessions.alarms(operator_id=OP) == [cleared]


def test_events_are_idempotent(uow_factory, ids):
    station_pk, _ = ids
    event = Event(OP, "A", EventType.SAFETY_CHECK, 3001, NOW, note="季度安全检查")
    with uow_factory() as uow:
        assert uow.sessions.add_event(event, station_pk) is True
        assert uow.sessions.add_event(event, station_pk) is False
