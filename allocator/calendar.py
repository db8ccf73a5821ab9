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
def _utc_window(timezone: str, work_hours: str, on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The window that starts on local date ``on``, in UTC; one that ends at or before its
    start (a night shift, ``"18:30-03:30"``) ends on the next date."""
    start, end = (dt.time.fromisoformat(part.strip()) for part in work_hours.split("-"))
    zone = ZoneInfo(timezone)
    t0 = dt.datetime.combine(on, start, tzinfo=zone).astimezone(dt.UTC)
    ends_on = on if end > start else on + dt.timedelta(days=1)
    t1 = dt.datetime.combine(ends_on, end, tzinfo=zone).astimezone(dt.UTC)
    return t0, t1


def overlap_hours(
    timezone_a: str, work_hours_a: str, timezone_b: str, work_hours_b: str, on: dt.date
) -> float:
    """Hours that two local working windows share, compared in UTC on date ``on``.

    The spec compares the windows on the horizon's first date: each side's window that
    starts on that local date (a night shift runs into the next day, :func:`_utc_window`).
    """
    a0, a1 = _utc_window(timezone_a, work_hours_a, on)
    b0, b1 = _utc_window(timezone_b, work_hours_b, on)
    seconds = (min(a1, b1) - max(a0, b0)).total_seconds()
    return max(0.0, seconds / 3600.0)


def specialist_capacity_hours(instance: Instance, specialist: Specialist) -> float:
    """Hours the specialist can work over the horizon: available working dates × hours/day."""
    dates = available_dates(specialist, working_dates(instance.horizon))
    return len(dates) * specialist.hours_per_day
