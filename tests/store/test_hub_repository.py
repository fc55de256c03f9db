"""Hub bookkeeping in the store: tokens expire, replayed signatures are caught and later purged."""

from datetime import timedelta

from evinfra.ingest.services import register_operator
from tests.conftest import NOW


def test_tokens_expire_and_signatures_are_purged(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    with uow_factory() as uow:
        uow.hub.add_token("a" * 64, operator.operator_id, NOW, NOW + timedelta(hours=2))
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is True
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is False
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=1))[0] == operator.operator_id
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=2)) is None
        uow.hub.purge_expired(NOW + timedelta(hours=3), replay_horizon=NOW + timedelta(minutes=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW) is None  # gone, not only expired
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is True  # purged: a new sighting


def test_quality_findings_are_counted_with_one_example(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    for _ in range(3):
        with uow_factory() as uow:
            uow.hub.count_finding(operator.operator_id, "notification_charge_order_info", "TotalSeviceMoney",
                                  "TotalServiceMoney", "12.50", NOW)  # fmt: skip
            uow.commit()
    with uow_factory() as uow:
        (finding,) = uow.hub.findings(operator.operator_id)
    assert (finding.field, finding.variant, finding.count, finding.example) == (
        "TotalSeviceMoney", "TotalServiceMoney", 3, "12.50",
    )  # fmt: skip
