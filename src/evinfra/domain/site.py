"""Where a station stands: the T/CEC Construction code and the plan's own site categories.

The plan (晋政办发〔2023〕38号) counts coverage of places T/CEC has no code for (toll stations,
tourist-road 驿站, RV camps, scenic areas by A-level), so a station carries both.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Construction(IntEnum):
    """T/CEC 102.2 StationInfo.Construction (12–15: Zhejiang extension)."""

    RESIDENTIAL = 1  # 居民区
    PUBLIC_INSTITUTION = 2  # 公共机构
    ENTERPRISE = 3  # 企事业单位
    OFFICE = 4  # 写字楼
    INDUSTRIAL_PARK = 5  # 工业园区
    TRANSPORT_HUB = 6  # 交通枢纽
    SPORTS_CULTURE = 7  # 大型文体设施
    URBAN_GREEN = 8  # 城市绿地
    BUILDING_PARKING = 9  # 大型建筑配建停车场
    ON_STREET = 10  # 路边停车位
    HIGHWAY_SERVICE_AREA = 11  # 城际高速服务区
    SCENIC_AREA = 12  # 风景区 (Zhejiang)
    BUS_DEPOT = 13  # 公交场站 (Zhejiang)
    FUEL_STATION = 14  # 加油加气站 (Zhejiang)
    TAXI = 15  # 出租车 (Zhejiang)
    OTHER = 255  # 其他


class SiteCategory(StrEnum):
    """Plan categories that targets are counted against (plan-targets.md T-4..T-14, K-3..K-8)."""

    URBAN_PUBLIC = "urban_public"  # 城市公共
    CENTRALIZED_COUNTY = "centralized_county"  # 县城集中式公共充电站
    TOWNSHIP = "township"  # 乡镇
    VILLAGE = "village"  # 行政村
    HIGHWAY_SERVICE_AREA = "highway_service_area"  # 高速公路服务区
    TOLL_STATION = "toll_station"  # 高速收费站
    TRUNK_ROAD_SERVICE = "trunk_road_service"  # 普通国省干线服务区/停车区
    TOURIST_ROAD_STATION = "tourist_road_station"  # 一号旅游公路驿站
    RV_CAMP = "rv_camp"  # 房车营地
    SCENIC_AREA = "scenic_area"  # 景区
    BUS_DEPOT = "bus_depot"  # 公交场站
    RESIDENTIAL_COMMUNITY = "residential_community"  # 居民小区
    INSTITUTION = "institution"  # 党政机关/企事业单位
    OTHER = "other"


class ScenicLevel(IntEnum):
    """A-level of a scenic area (GB/T 17775); 0 = below A. K-5 sets targets by level."""

    NONE = 0
    A1 = 1
    A2 = 2
    A3 = 3
    A4 = 4
    A5 = 5
