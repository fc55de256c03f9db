"""Charging stations (充电站), as T/CEC 102.2 StationInfo describes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.geo import GeoPoint
from evinfra.domain.operator import OPERATOR_ID
from evinfra.domain.region import check_area_code, check_town_code
from evinfra.domain.site import Construction, ScenicLevel, SiteCategory
from evinfra.domain.validation import enum_value, non_negative, pattern, text

STATION_ID = re.compile(r"[0-9A-Za-z_\-]{1,20}")


class StationType(IntEnum):
    """T/CEC StationType (104–107: later provincial variants)."""

    PUBLIC = 1  # 公共
    PERSONAL = 50  # 个人
    BUS = 100  # 公交(专用)
    SANITATION = 101  # 环卫
    LOGISTICS = 102  # 物流
    TAXI = 103  # 出租车
    TIME_SHARE_RENTAL = 104  # 分时租赁
    COMMUNITY_SHARED = 105  # 小区共享
    WORKPLACE = 106  # 单位
    PRIVATE_SHARED = 107  # 私人共享
    OTHER = 255  # 其他


class StationStatus(IntEnum):
    """T/CEC StationStatus (51: a provincial variant)."""

    UNKNOWN = 0  # 未知
    UNDER_CONSTRUCTION = 1  # 建设中
    CLOSED = 5  # 关闭下线
    MAINTENANCE = 6  # 维护中
    IN_SERVICE = 50  # 正常使用
    SUSPENDED_BUSINESS = 51  # 歇业


class Payment(IntEnum):
    """Payment means named in StationInfo.Payment (free text on the wire: 刷卡/线上/现金)."""

    CARD = 1
    ONLINE = 2
    CASH = 3


@dataclass(frozen=True, slots=True)
class Station:
    """A station with its place, kind and service terms. ``location`` is WGS-84 (T/CEC sends GCJ-02)."""

    operator_id: str
    station_id: str
    name: str
    station_type: StationType
    status: StationStatus
    construction: Construction
    area_code: str
    location: GeoPoint
    address: str = ""
    equipment_owner_id: str | None = None
    country_code: str = "CN"
    town_code: str | None = None  # 9-digit township or 12-digit village code, where known
    site_category: SiteCategory = SiteCategory.OTHER
    scenic_level: ScenicLevel | None = None
    park_nums: int = 0  # 0 = unknown
    station_tel: str = ""
    service_tel: str = ""
    site_guide: str = ""
    business_hours: str = ""
    electricity_fee: str = ""
    service_fee: str = ""
    park_fee: str = ""
    payment: frozenset[Payment] = frozenset()
    support_order: bool = False
    remark: str = ""
    synthetic: bool = False
    site_id: str | None = None  # the road site or scenic area this station serves (plan coverage T-7..T-13)

    def __post_init__(self) -> None:
        pattern("operator_id", self.operator_id, OPERATOR_ID, "9 位组织机构代码", "9-char organisation code")
        if self.equipment_owner_id is not None:
            pattern("equipment_owner_id", self.equipment_owner_id, OPERATOR_ID, "9 位组织机构代码", "9-char code")
        pattern("station_id", self.station_id, STATION_ID, "1–20 位字母数字", "1-20 letters or digits")
        text("name", self.name, 50, required=True)
        text("address", self.address, 200)
        object.__setattr__(self, "station_type", enum_value(StationType, "station_type", self.station_type))
        object.__setattr__(self, "status", enum_value(StationStatus, "status", self.status))
        object.__setattr__(self, "construction", enum_value(Construction, "construction", self.construction))
        object.__setattr__(self, "site_category", enum_value(SiteCategory, "site_category", self.site_category))
        if self.scenic_level is not None:
            object.__setattr__(self, "scenic_level", enum_value(ScenicLevel, "scenic_level", self.scenic_level))
        check_area_code("area_code", self.area_code)
        if self.town_code is not None:
            check_town_code("town_code", self.town_code)
            if not self.town_code.startswith(self.area_code):
                raise DomainValidationError(
                    "town_code",
                    self.town_code,
                    f"以 area_code {self.area_code} 开头",
                    f"a code starting with area_code {self.area_code}",
                )
        if not isinstance(self.location, GeoPoint):
            raise DomainValidationError("location", self.location, "WGS-84 GeoPoint")
        if isinstance(self.park_nums, bool) or not isinstance(self.park_nums, int):
            raise DomainValidationError("park_nums", self.park_nums, "整数 ≥ 0", "an integer >= 0")
        non_negative("park_nums", self.park_nums, "个", 100_000)
        for name, value, limit in (
            ("station_tel", self.station_tel, 32),
            ("service_tel", self.service_tel, 32),
            ("site_guide", self.site_guide, 100),
            ("business_hours", self.business_hours, 100),
            ("electricity_fee", self.electricity_fee, 256),
            ("service_fee", self.service_fee, 256),
            ("park_fee", self.park_fee, 100),
            ("remark", self.remark, 100),
        ):
            text(name, value, limit)
        text("site_id", self.site_id, 40)

    @property
    def is_public(self) -> bool:
        """Counted as public infrastructure by the plan (T-1, B-3)."""
        return self.station_type is StationType.PUBLIC
