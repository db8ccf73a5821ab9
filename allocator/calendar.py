"""Working dates, availability and time-zone overlap (spec, "Field rules" and "eligible").

Shared by the model builder and the independent checker: this is the only logic, with the
schema, that both rely on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

from allocator.schema import WEEKDAYS, DateRange, Horizon, Instance, Specialist


def working_dates(horizon: Horizon) -> list[dt.date]:
    """The horizon's working dates: its ``workdays`` between start and end, less holidays."""
    days = {WEEKDAYS.index(day) for day in horizon.workdays}
    holidays = set(horizon.holidays)
    out: list[dt.date] = []
    day = horizon.start
    while day <= horizon.end:
        if day.weekday() in days and day not in holidays:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def dates_between(
    dates: Iterable[dt.date], start: dt.date | None, end: dt.date | None
) -> list[dt.date]:
    """The dates of ``dates`` inside ``[start, end]`` (``None`` leaves that side open)."""
    return [d for d in dates if (start is None or d >= start) and (end is None or d <= end)]


def unavailable_dates(ranges: Iterable[DateRange]) -> frozenset[dt.date]:
    """Every date covered by the inclusive ``ranges``."""
    out: set[dt.date] = set()
    for span in ranges:
        day = span.start
        while day <= span.end:
            out.add(day)
            day += dt.timedelta(days=1)
    return frozenset(out)


def available_dates(specialist: Specialist, dates: Iterable[dt.date]) -> list[dt.date]:
    """The dates of ``dates`` on which ``specialist`` is not on leave."""
    off = unavailable_dates(specialist.unavailable)
    return [d for d in dates if d not in off]


@lru_cache(maxsize=4096)
def _utc_windows(
    timezone: str, work_hours: str, on: dt.date
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The working time of local date ``on``, in UTC: one window, or for a night shift
    (an end at or before the start, ``"22:00-06:00"``) the two parts that fall on that
    date, its early hours (00:00-06:00) and its evening (22:00-24:00)."""
    start, end = (dt.time.fromisoformat(part.strip()) for part in work_hours.split("-"))
    zone = ZoneInfo(timezone)

    def utc(day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)

    if end > start:
        return ((utc(on, start), utc(on, end)),)
    midnight, next_day = dt.time(0, 0), on + dt.timedelta(days=1)
    return ((utc(on, midnight), utc(on, end)), (utc(on, start), utc(next_day, midnight)))


def overlap_hours(
    timezone_a: str, work_hours_a: str, timezone_b: str, work_hours_b: str, on: dt.date
) -> float:
    """Hours that two local working windows share, compared in UTC on date ``on``.

    The spec compares the windows on the horizon's first date: each side's working time on
    that local date (a night shift's early hours and evening, see :func:`_utc_windows`).
    """
    seconds = 0.0
    for a0, a1 in _utc_windows(timezone_a, work_hours_a, on):
        for b0, b1 in _utc_windows(timezone_b, work_hours_b, on):
            seconds += max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())
    return seconds / 3600.0


def specialist_capacity_hours(instance: Instance, specialist: Specialist) -> float:
    """Hours the specialist can work over the horizon: available working dates × hours/day."""
    dates = available_dates(specialist, working_dates(instance.horizon))
    return len(dates) * specialist.hours_per_day
