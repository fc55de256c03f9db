"""How drivers and chargers behave in the live simulation: arrivals, sessions, faults and repairs.

A connector is a small queue without waiting room: drivers arrive as a Poisson process whose rate depends on
the site category (plan categories, :class:`~evinfra.domain.site.SiteCategory`), the local hour and whether
the day is a holiday; a driver who finds the connector busy or down goes elsewhere. A session draws its energy
from a lognormal law and lasts energy / effective power, capped at a maximum stay; connectors fail at a
constant rate per day (fault 255 or communication loss 0) and come back after a lognormal repair time.

Every number is ASSUMED (no Shanxi session data is public); they are chosen so that a typical public DC
connector is charging 10–15 % of the time, an AC connector about 5 %, a village connector under 3 %, and
uptime is about 95 % — the ranges reported for Chinese public networks (China Charging Alliance, 2023–2024:
average public DC utilisation ~10 %, higher on highways at holidays). :func:`simulate_connector` plays the
model for one connector so these ranges can be checked.

All functions are pure: randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Final

import numpy as np

from evinfra.domain.site import SiteCategory

__all__ = [
    "DEFAULT_BEHAVIOUR",
    "BehaviourModel",
    "ConnectorDays",
    "Outage",
    "Session",
    "is_holiday",
    "simulate_connector",
]

SHANGHAI: Final = timezone(timedelta(hours=8), "Asia/Shanghai")

# Hour-of-day shapes (local time, 24 values, mean 1). ASSUMED from published load curves of urban public
# chargers (night valley, evening peak 18–22 h), highways (daytime travel) and rural sites (afternoon/evening).
_SHAPES: Final = {
    "urban": (0.45, 0.35, 0.3, 0.25, 0.25, 0.3, 0.5, 0.8, 1.0, 1.0, 1.05, 1.15,
              1.2, 1.1, 1.05, 1.1, 1.2, 1.45, 1.8, 1.9, 1.8, 1.5, 1.05, 0.7),
    "highway": (0.25, 0.2, 0.15, 0.15, 0.15, 0.25, 0.5, 0.9, 1.3, 1.55, 1.65, 1.7,
                1.7, 1.6, 1.6, 1.65, 1.6, 1.5, 1.3, 1.1, 0.9, 0.7, 0.5, 0.35),
    "rural": (0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.1, 1.2, 1.25, 1.3,
              1.4, 1.3, 1.25, 1.3, 1.4, 1.55, 1.7, 1.65, 1.45, 1.1, 0.6, 0.3),
    "leisure": (0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.7, 1.2, 1.6, 1.8, 1.8,
                1.7, 1.7, 1.8, 1.8, 1.7, 1.5, 1.2, 1.0, 0.8, 0.5, 0.3, 0.2),
}  # fmt: skip

# Sessions per connector-day on an ordinary working day (DC, AC), and the hour shape and holiday factor of
# each category. ASSUMED; see the module docstring for the utilisation they give.
_CATEGORY: Final = {
    SiteCategory.URBAN_PUBLIC: ((5.6, 0.5), "urban", 0.9),
    SiteCategory.BUS_DEPOT: ((5.0, 0.5), "urban", 0.8),
    SiteCategory.CENTRALIZED_COUNTY: ((3.4, 0.35), "urban", 1.0),
    SiteCategory.TOWNSHIP: ((1.4, 0.2), "rural", 1.2),
    SiteCategory.VILLAGE: ((0.45, 0.07), "rural", 1.3),
    SiteCategory.HIGHWAY_SERVICE_AREA: ((3.2, 0.35), "highway", 2.5),
    SiteCategory.TOLL_STATION: ((2.8, 0.3), "highway", 2.0),
    SiteCategory.TRUNK_ROAD_SERVICE: ((1.8, 0.25), "highway", 1.8),
    SiteCategory.TOURIST_ROAD_STATION: ((1.2, 0.2), "leisure", 2.5),
    SiteCategory.RV_CAMP: ((0.9, 0.3), "leisure", 2.5),
    SiteCategory.SCENIC_AREA: ((1.4, 0.3), "leisure", 2.2),
    SiteCategory.RESIDENTIAL_COMMUNITY: ((2.5, 0.6), "urban", 1.0),
    SiteCategory.INSTITUTION: ((2.0, 0.4), "urban", 0.6),
    SiteCategory.OTHER: ((2.5, 0.35), "urban", 1.0),
}
_LEISURE_WEEKEND: Final = 1.5  # scenic and tourist sites on ordinary weekends

# Chinese statutory holiday periods (国务院办公厅 notices), inclusive; ASSUMED complete enough for load shapes.
_HOLIDAYS: Final = (
    (date(2023, 1, 1), date(2023, 1, 2)), (date(2023, 1, 21), date(2023, 1, 27)),
    (date(2023, 4, 5), date(2023, 4, 5)), (date(2023, 4, 29), date(2023, 5, 3)),
    (date(2023, 6, 22), date(2023, 6, 24)), (date(2023, 9, 29), date(2023, 10, 6)),
    (date(2023, 12, 30), date(2024, 1, 1)), (date(2024, 2, 10), date(2024, 2, 17)),
    (date(2024, 4, 4), date(2024, 4, 6)), (date(2024, 5, 1), date(2024, 5, 5)),
    (date(2024, 6, 10), date(2024, 6, 10)), (date(2024, 9, 15), date(2024, 9, 17)),
    (date(2024, 10, 1), date(2024, 10, 7)), (date(2025, 1, 1), date(2025, 1, 1)),
    (date(2025, 1, 28), date(2025, 2, 4)), (date(2025, 4, 4), date(2025, 4, 6)),
    (date(2025, 5, 1), date(2025, 5, 5)), (date(2025, 5, 31), date(2025, 6, 2)),
    (date(2025, 10, 1), date(2025, 10, 8)), (date(2026, 1, 1), date(2026, 1, 3)),
    (date(2026, 2, 15), date(2026, 2, 23)), (date(2026, 4, 4), date(2026, 4, 6)),
    (date(2026, 5, 1), date(2026, 5, 5)), (date(2026, 6, 19), date(2026, 6, 21)),
    (date(2026, 9, 25), date(2026, 9, 27)), (date(2026, 10, 1), date(2026, 10, 7)),
)  # fmt: skip


def is_holiday(day: date) -> bool:
    """A Chinese statutory holiday (2023–2026 periods; other years: 1 Jan, 1–5 May, 1–7 Oct)."""
    if any(start <= day <= end for start, end in _HOLIDAYS):
        return True
    if not 2023 <= day.year <= 2026:
        return (day.month, day.day) == (1, 1) or (day.month == 5 and day.day <= 5) or (day.month == 10 and day.day <= 7)
    return False


@dataclass(frozen=True, slots=True)
class Session:
    """One charging session: energy [kWh], duration [h] and mean charging power [kW] = energy / duration."""

    energy_kwh: float
    hours: float

    @property
    def load_kw(self) -> float:
        return self.energy_kwh / self.hours if self.hours > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Outage:
    """A connector down: T/CEC Status (255 fault, 0 offline) for ``hours`` [h]."""

    status: int
    hours: float


@dataclass(frozen=True, slots=True)
class ConnectorDays:
    """What :func:`simulate_connector` observed: hours charging and down over ``hours`` [h]."""

    hours: float
    charging_hours: float
    down_hours: float
    sessions: int
    energy_kwh: float
    outages: int

    @property
    def utilisation(self) -> float:
        """Share of time charging (T/CEC Status 3) [-]."""
        return self.charging_hours / self.hours if self.hours else 0.0

    @property
    def uptime(self) -> float:
        """Share of time online (not 0/255) [-]."""
        return 1.0 - self.down_hours / self.hours if self.hours else 0.0


@dataclass(frozen=True)
class BehaviourModel:
    """The parameters of the behaviour model (defaults ASSUMED, see the module docstring).

    Attributes
    ----------
    dc_power_exponent, dc_power_factor
        Arrival rate of a DC connector × (power_kw / 60) ** exponent, clipped to the factor range [-].
    dc_energy_median_kwh, ac_energy_median_kwh
        Median session energy [kWh]; lognormal with ``energy_sigma``; capped by ``battery_kwh``.
    highway_energy_factor
        Longer trips: sessions on highway, toll and trunk-road sites draw this many times the energy.
    dc_taper
        Range of the ratio of mean to rated power over a DC session (charging curve taper) [-].
    vehicle_dc_kw, vehicle_ac_kw
        What the car accepts: DC choices [kW] (uniform), on-board charger [kW].
    max_dc_hours, max_ac_hours
        Longest stay on the connector [h] (energy is cut to power × time).
    fault_per_day_dc, fault_per_day_ac, offline_per_day
        Outage rates per connector-day [1/d].
    repair_median_hours, rural_repair_median_hours, offline_median_hours
        Median outage durations [h] (lognormal, ``outage_sigma``); rural sites wait longer for a technician.
    """

    dc_power_exponent: float = 0.8
    dc_power_factor: tuple[float, float] = (0.4, 2.0)
    dc_energy_median_kwh: float = 22.0
    ac_energy_median_kwh: float = 14.0
    energy_sigma: float = 0.5
    battery_kwh: float = 75.0
    highway_energy_factor: float = 1.4
    dc_taper: tuple[float, float] = (0.55, 0.85)
    vehicle_dc_kw: tuple[float, ...] = (60.0, 90.0, 120.0, 150.0)
    vehicle_ac_kw: float = 6.6
    max_dc_hours: float = 2.0
    max_ac_hours: float = 10.0
    fault_per_day_dc: float = 0.015
    fault_per_day_ac: float = 0.008
    offline_per_day: float = 0.04
    repair_median_hours: float = 48.0
    rural_repair_median_hours: float = 60.0
    offline_median_hours: float = 4.0
    outage_sigma: float = 0.8
    min_outage_hours: float = 0.25
    categories: Mapping[SiteCategory, tuple[tuple[float, float], str, float]] = field(
        default_factory=lambda: MappingProxyType(dict(_CATEGORY))
    )

    # --- arrivals -------------------------------------------------------------------------------------

    def arrival_rate(
        self, category: SiteCategory | str, hour: int, *, dc: bool, holiday: bool = False, power_kw: float = 60.0
    ) -> float:
        """Expected arrivals per connector-hour [1/h] at local ``hour`` (0–23).

        ``holiday`` applies the category's holiday factor (highways ×2.5 on holiday, urban ×0.9, …). Faster DC
        connectors draw more drivers: the rate scales with (power_kw / 60 kW) ** ``dc_power_exponent`` (within
        ``dc_power_factor``), which keeps their utilisation close to that of slower ones.
        """
        (dc_rate, ac_rate), shape, holiday_factor = self._category(category)
        base = (dc_rate if dc else ac_rate) / 24.0
        if dc:
            lo, hi = self.dc_power_factor
            base *= min(hi, max(lo, (max(power_kw, 1.0) / 60.0) ** self.dc_power_exponent))
        factor = holiday_factor if holiday else 1.0
        return base * _SHAPES[shape][hour % 24] / _SHAPE_MEANS[shape] * factor

    def next_arrival(
        self, rng: np.random.Generator, category: SiteCategory | str, start: datetime, *, dc: bool, power_kw: float
    ) -> datetime:
        """The first arrival after ``start`` (aware), sampled exactly from the hour-by-hour Poisson rate."""
        need = float(rng.exponential(1.0))
        local = start.astimezone(SHANGHAI)
        t = local
        for _ in range(24 * 400):  # a year and more: nobody comes to a connector with rate 0
            hour_end = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            span_h = (hour_end - t).total_seconds() / 3600.0
            rate = self.arrival_rate(category, t.hour, dc=dc, holiday=self._holiday(t), power_kw=power_kw)
            if rate * span_h >= need:
                return (t + timedelta(hours=need / rate)).astimezone(start.tzinfo)
            need -= rate * span_h
            t = hour_end
        return (t).astimezone(start.tzinfo)

    def _holiday(self, local: datetime) -> bool:
        return is_holiday(local.date())

    # --- sessions -------------------------------------------------------------------------------------

    def sample_session(
        self, rng: np.random.Generator, power_kw: float, *, dc: bool, category: SiteCategory | str = "urban_public"
    ) -> Session:
        """Energy [kWh] and duration [h] of one session on a connector rated ``power_kw`` [kW]."""
        cat = SiteCategory(category)
        longer = cat in (SiteCategory.HIGHWAY_SERVICE_AREA, SiteCategory.TOLL_STATION, SiteCategory.TRUNK_ROAD_SERVICE)
        median = self.dc_energy_median_kwh if dc else self.ac_energy_median_kwh
        median *= self.highway_energy_factor if longer else 1.0
        energy = min(float(rng.lognormal(np.log(median), self.energy_sigma)), self.battery_kwh)
        if dc:
            accept = float(rng.choice(np.asarray(self.vehicle_dc_kw)))
            power = min(power_kw, accept) * float(rng.uniform(*self.dc_taper))
            cap_h = self.max_dc_hours
        else:
            power = min(power_kw, self.vehicle_ac_kw) * float(rng.uniform(0.85, 1.0))
            cap_h = self.max_ac_hours
        power = max(power, 1.0)
        hours = energy / power
        if hours > cap_h:
            hours, energy = cap_h, power * cap_h
        hours = max(hours, 5 / 60)
        return Session(round(energy, 3), hours)

    # --- outages --------------------------------------------------------------------------------------

    def outage_rate(self, *, dc: bool) -> float:
        """Outages (fault or communication loss) per connector-day [1/d]."""
        return (self.fault_per_day_dc if dc else self.fault_per_day_ac) + self.offline_per_day

    def time_to_outage(self, rng: np.random.Generator, *, dc: bool) -> float:
        """Hours [h] until the next outage of an online connector (exponential; at most ten years)."""
        rate = self.outage_rate(dc=dc)
        if rate <= 0:
            return _NEVER_HOURS
        return min(_NEVER_HOURS, float(rng.exponential(24.0 / rate)))

    def sample_outage(
        self, rng: np.random.Generator, *, dc: bool, category: SiteCategory | str = "urban_public"
    ) -> Outage:
        """Which outage (fault 255 in proportion to the fault rate, else offline 0) and how long it lasts [h]."""
        fault = self.fault_per_day_dc if dc else self.fault_per_day_ac
        if rng.random() * self.outage_rate(dc=dc) < fault:
            rural = SiteCategory(category) in (SiteCategory.VILLAGE, SiteCategory.TOWNSHIP)
            median = self.rural_repair_median_hours if rural else self.repair_median_hours
            status = 255
        else:
            median, status = self.offline_median_hours, 0
        hours = max(self.min_outage_hours, float(rng.lognormal(np.log(median), self.outage_sigma)))
        return Outage(status, hours)

    def _category(self, category: SiteCategory | str) -> tuple[tuple[float, float], str, float]:
        cat = SiteCategory(category)
        return self.categories.get(cat, self.categories[SiteCategory.OTHER])


_NEVER_HOURS: Final = 24.0 * 3650
_SHAPE_MEANS: Final = {name: sum(values) / len(values) for name, values in _SHAPES.items()}
DEFAULT_BEHAVIOUR: Final = BehaviourModel()


def simulate_connector(
    rng: np.random.Generator,
    category: SiteCategory | str,
    power_kw: float,
    *,
    dc: bool,
    start: datetime,
    days: float,
    model: BehaviourModel = DEFAULT_BEHAVIOUR,
) -> ConnectorDays:
    """Play the model for one connector from ``start`` for ``days`` [d]: the same rules the simulator follows.

    Arrivals while charging or down are lost; an outage during a session ends it.
    """
    end = start + timedelta(days=days)
    t = start
    charging = down = energy = 0.0
    sessions = outages = 0
    next_outage = t + timedelta(hours=model.time_to_outage(rng, dc=dc))
    while t < end:
        arrival = model.next_arrival(rng, category, t, dc=dc, power_kw=power_kw)
        if next_outage <= arrival:
            outage = model.sample_outage(rng, dc=dc, category=category)
            back = next_outage + timedelta(hours=outage.hours)
            down += (min(back, end) - min(next_outage, end)).total_seconds() / 3600
            outages += 1
            t = back
            next_outage = t + timedelta(hours=model.time_to_outage(rng, dc=dc))
            continue
        if arrival >= end:
            break
        session = model.sample_session(rng, power_kw, dc=dc, category=category)
        stop = arrival + timedelta(hours=session.hours)
        if next_outage < stop:  # cut short by a fault
            stop = next_outage
        hours = (min(stop, end) - arrival).total_seconds() / 3600
        charging += hours
        energy += session.load_kw * hours
        sessions += 1
        t = stop
    return ConnectorDays((end - start).total_seconds() / 3600, charging, down, sessions, energy, outages)
