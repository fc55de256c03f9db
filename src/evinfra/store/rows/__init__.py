"""SQLAlchemy row classes. Import this package to register every table on ``Base.metadata``."""

from evinfra.store.rows.base import Base
from evinfra.store.rows.hub import (
    AccessTokenRow,
    ApiKeyRow,
    OperatorKeyRow,
    PowerSampleRow,
    PullStateRow,
    QualityFindingRow,
    SeenEnvelopeRow,
)
from evinfra.store.rows.layers import (
    PlaceRow,
    RegionStatRow,
    RoadRow,
    RoadSiteRow,
    ScenarioRunRow,
    ScenicAreaRow,
)
from evinfra.store.rows.network import ConnectorRow, EquipmentRow, StationRow
from evinfra.store.rows.operator import OperatorRow
from evinfra.store.rows.sessions import AlarmRow, ChargeOrderRow, ChargeStatusSampleRow, EventRow
from evinfra.store.rows.status import ConnectorStatusIntervalRow

__all__ = [
    "AccessTokenRow",
    "AlarmRow",
    "ApiKeyRow",
    "Base",
    "ChargeOrderRow",
    "ChargeStatusSampleRow",
    "ConnectorRow",
    "ConnectorStatusIntervalRow",
    "EquipmentRow",
    "EventRow",
    "OperatorKeyRow",
    "OperatorRow",
    "PlaceRow",
    "PowerSampleRow",
    "PullStateRow",
    "QualityFindingRow",
    "RegionStatRow",
    "RoadRow",
    "RoadSiteRow",
    "ScenarioRunRow",
    "ScenicAreaRow",
    "SeenEnvelopeRow",
    "StationRow",
]
