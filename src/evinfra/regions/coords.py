"""GCJ-02 ↔ WGS-84 conversion for points inside China.

Chinese web maps (AMap, Tencent) and the T/CEC 102 station coordinates are in GCJ-02, the
obfuscated datum that Chinese law requires for published maps; it sits a few hundred metres
(about 550 m in Shanxi) from WGS-84. The platform stores WGS-84 (so that satellite imagery,
OSM and GNSS traces line up) and converts only at the edges: GCJ-02 → WGS-84 on ingest,
WGS-84 → GCJ-02 for export and for GCJ-02 basemaps.

The forward transform is the widely published formula (Krasovsky ellipsoid); it has no closed
inverse, so :func:`gcj02_to_wgs84` solves it by fixed-point iteration to well under a millimetre.
Pure arithmetic: no I/O, no dependencies.
"""

from __future__ import annotations

import math

__all__ = ["gcj02_to_wgs84", "in_china_box", "wgs84_to_gcj02"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis [m]
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_PI = math.pi

# The rough box inside which the offset is applied (the published formula's own test). Outside it
# GCJ-02 equals WGS-84, so both conversions are the identity there.
_LNG_BOX = (72.004, 137.8347)
_LAT_BOX = (0.8293, 55.8271)

_INVERSE_TOLERANCE_DEG = 1e-10  # ≈ 0.01 mm
_INVERSE_MAX_ITERATIONS = 30  # converges in 3–5 steps: the offset changes by < 1e-4 per degree


def in_china_box(lng: float, lat: float) -> bool:
    """True where GCJ-02 differs from WGS-84 (the formula's rough bounding box of China)."""
    return _LNG_BOX[0] <= lng <= _LNG_BOX[1] and _LAT_BOX[0] <= lat <= _LAT_BOX[1]


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 [degrees]; the identity outside China's rough box and for non-finite input."""
    if not (math.isfinite(lng) and math.isfinite(lat)) or not in_china_box(lng, lat):
        return lng, lat
    d_lng, d_lat = _offset(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 [degrees], the exact inverse of :func:`wgs84_to_gcj02` to < 1e-10°.

    Solves ``w + offset(w) = g`` by iterating ``w ← g - offset(w)``; the one-step approximation
    ``g - offset(g)`` that many libraries use is off by up to a few metres.
    """
    if not (math.isfinite(lng) and math.isfinite(lat)) or not in_china_box(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(_INVERSE_MAX_ITERATIONS):
        d_lng, d_lat = _offset(w_lng, w_lat)
        next_lng, next_lat = lng - d_lng, lat - d_lat
        done = abs(next_lng - w_lng) < _INVERSE_TOLERANCE_DEG and abs(next_lat - w_lat) < _INVERSE_TOLERANCE_DEG
        w_lng, w_lat = next_lng, next_lat
        if done:
            break
    return w_lng, w_lat


def _offset(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees (lng, lat); applied without the box test."""
    x, y = lng - 105.0, lat - 35.0
    d_lat = _transform_lat(x, y)
    d_lng = _transform_lng(x, y)
    rad_lat = lat / 180.0 * _PI
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * _PI)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * _PI)
    return d_lng, d_lat


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret
