"""Great-circle distances on the WGS-84 mean sphere, vectorised for planning-sized problems."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius [km]


def haversine_km(lng1: ArrayLike, lat1: ArrayLike, lng2: ArrayLike, lat2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance [km] between points given in degrees; broadcasts like NumPy.

    Error against the WGS-84 ellipsoid is below 0.5 %, far under the plan's distance targets
    (T-8, T-12, T-14: 10–100 km) and their rounding.
    """
    lo1, la1, lo2, la2 = (np.radians(np.asarray(v, dtype=float)) for v in (lng1, lat1, lng2, lat2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def nearest_km(
    lng: ArrayLike, lat: ArrayLike, to_lng: ArrayLike, to_lat: ArrayLike, chunk: int = 2048
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """For each point, the distance [km] to and index of the nearest target (brute force, chunked).

    Used for "charging distance" indicators: 21,895 villages × 30k stations runs in a few seconds
    without building a spatial index.
    """
    lng_a, lat_a = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    to_lng_a, to_lat_a = np.asarray(to_lng, dtype=float), np.asarray(to_lat, dtype=float)
    if to_lng_a.size == 0:
        return np.full(lng_a.shape, np.inf), np.full(lng_a.shape, -1, dtype=np.int64)
    dist = np.empty(lng_a.shape, dtype=float)
    idx = np.empty(lng_a.shape, dtype=np.int64)
    for start in range(0, lng_a.size, chunk):
        sl = slice(start, start + chunk)
        d = haversine_km(lng_a[sl, None], lat_a[sl, None], to_lng_a[None, :], to_lat_a[None, :])
        idx[sl] = np.argmin(d, axis=1)
        dist[sl] = d[np.arange(d.shape[0]), idx[sl]]
    return dist, idx
