"""GCJ-02 ↔ WGS-84: the ~550 m Shanxi offset, sub-metre round trips, identity outside China."""

from __future__ import annotations

import json
import math
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evinfra.regions.coords import gcj02_to_wgs84, in_china_box, wgs84_to_gcj02

TAIYUAN = (112.55, 37.87)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance [m] between two (lng, lat) points."""
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    d_lat, d_lng = lat2 - lat1, math.radians(b[0] - a[0])
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lng / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_offset_in_taiyuan_is_about_550_m_north_east() -> None:
    gcj = wgs84_to_gcj02(*TAIYUAN)
    assert 500 < metres(TAIYUAN, gcj) < 600
    assert gcj[0] > TAIYUAN[0] and gcj[1] > TAIYUAN[1]


def test_taiyuan_round_trip_is_sub_millimetre() -> None:
    assert metres(gcj02_to_wgs84(*wgs84_to_gcj02(*TAIYUAN)), TAIYUAN) < 0.001
    assert metres(wgs84_to_gcj02(*gcj02_to_wgs84(*TAIYUAN)), TAIYUAN) < 0.001


def test_inverse_beats_the_one_step_approximation() -> None:
    """``g - offset(g)`` is what naive converters do; the iteration must be much closer."""
    gcj = wgs84_to_gcj02(*TAIYUAN)
    shifted = wgs84_to_gcj02(*gcj)
    naive = (2 * gcj[0] - shifted[0], 2 * gcj[1] - shifted[1])
    assert metres(naive, TAIYUAN) > 100 * metres(gcj02_to_wgs84(*gcj), TAIYUAN)


china_lng = st.floats(min_value=73.5, max_value=135.0)
china_lat = st.floats(min_value=18.0, max_value=53.5)


@given(china_lng, china_lat)
def test_round_trip_inside_china_under_half_a_metre(lng: float, lat: float) -> None:
    assert metres(gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat)), (lng, lat)) < 0.5
    assert metres(wgs84_to_gcj02(*gcj02_to_wgs84(lng, lat)), (lng, lat)) < 0.5


@given(china_lng, china_lat)
def test_offset_is_bounded(lng: float, lat: float) -> None:
    """GCJ-02 moves points by tens to hundreds of metres, never by kilometres."""
    assert metres(wgs84_to_gcj02(lng, lat), (lng, lat)) < 1_500


def test_matches_the_shanxi_seat_table() -> None:
    """An independent oracle: county and city seats published in GCJ-02 (AMap) and converted to WGS-84
    by another implementation, rounded to 6 decimals (≈ 0.1 m)."""
    data = json.loads((files("evinfra.regions") / "data" / "shanxi_divisions.json").read_text("utf-8"))
    seats = [u for u in (*data["cities"], *data["counties"]) if "seat_gcj02" in u and "seat_wgs84" in u]
    assert len(seats) > 100
    for unit in seats:
        wgs, gcj = tuple(unit["seat_wgs84"]), tuple(unit["seat_gcj02"])
        assert metres(gcj02_to_wgs84(*gcj), wgs) < 0.5, unit["code"]
        assert metres(wgs84_to_gcj02(*wgs), gcj) < 0.5, unit["code"]


@pytest.mark.parametrize("point", [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9), (60.0, 40.0), (120.0, 0.5)])
def test_identity_outside_china(point: tuple[float, float]) -> None:
    assert not in_china_box(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_non_finite_input_is_returned_unchanged() -> None:
    lng, lat = gcj02_to_wgs84(math.nan, 37.0)
    assert math.isnan(lng) and lat == 37.0
    assert wgs84_to_gcj02(math.inf, 37.0) == (math.inf, 37.0)
