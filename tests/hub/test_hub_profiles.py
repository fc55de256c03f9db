"""An operator whose client was written for a provincial platform pushes that platform's codes unchanged."""

from __future__ import annotations

import copy

from tests.conftest import NOW
from tests.hub.conftest import Live
from tests.hub.wire import answer, post, seal, token
from tests.networks import OP, tree

from evinfra.bootstrap import utc_now
from evinfra.domain.connector import ConnectorType
from evinfra.domain.equipment import EquipmentType
from evinfra.ingest.registry import set_profile
from evinfra.protocols.tcec import translate
from evinfra.protocols.tcec.ret import Ret

STATION_INFO = "notification_stationInfo"


def shenzhen_station() -> dict:
    """Station B as a Shenzhen client sends it: EquipmentType 0 (直流), ConnectorType 5 (大功率交流)."""
    wire = copy.deepcopy(translate.station_info_to_wire(tree("B", 1)))
    wire["EquipmentInfos"][0]["EquipmentType"] = 0
    wire["EquipmentInfos"][0]["ConnectorInfos"][0]["ConnectorType"] = 5
    return {"StationInfo": wire}


def push_station(live: Live) -> tuple[int, str]:
    tok = token(live.base, OP, live.keys)
    ret, msg, _ = answer(
        post(live.base, STATION_INFO, seal(OP, shenzhen_station(), live.keys, utc_now()), tok), live.keys
    )
    return ret, msg


def test_shenzhen_codes_are_refused_under_the_standard_profile_and_read_under_shenzhens(live: Live) -> None:
    ret, msg = push_station(live)
    assert ret == Ret.BAD_BUSINESS and "EquipmentInfos[0].EquipmentType" in msg  # 0 is not a standard EquipmentType

    set_profile(OP, "shenzhen", live.container.uow, NOW)
    live.container.registry.forget(OP)  # other workers see it within the registry's cache TTL
    ret, msg = push_station(live)
    assert ret == Ret.OK, msg
    with live.container.uow() as uow:
        stored = uow.network.get_tree(OP, "B")
        findings = {(f.field, f.variant) for f in uow.hub.findings(OP)}
    assert stored is not None
    pile = stored.equipment[0]
    assert (pile.equipment.equipment_type, pile.connectors[0].connector_type) == (
        EquipmentType.DC,
        ConnectorType.AC_PLUG,
    )
    assert (
        "EquipmentInfos.ConnectorInfos.ConnectorType",
        "shenzhen:5→3",
    ) in findings  # folded into the nearest standard code, and counted
