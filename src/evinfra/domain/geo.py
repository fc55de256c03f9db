"""Points on the ground. Inside the platform every coordinate is WGS-84; GCJ-02 exists only at the edges."""

from __future__ import annotations

from dataclasses import dataclass

from evinfra.domain.errors import DomainValidationError

# Bounding box of the People's Republic of China (incl. islands) [degrees]. A point outside it is a
# data error (swapped lat/lng, zero coordinates, another country), not a station we supervise.
CHINA_LNG = (73.4, 135.1)
CHINA_LAT = (3.8, 53.6)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS-84 position [degrees]."""

    lng: float
    lat: float

    def __post_init__(self) -> None:
        for name, value, (low, high) in (("lng", self.lng, CHINA_LNG), ("lat", self.lat, CHINA_LAT)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise DomainValidationError(
                    name,
                    value,
                    f"中国境内 WGS-84 坐标 {low}–{high}°",
                    f"a WGS-84 coordinate inside China, {low} to {high} degrees",
                )
