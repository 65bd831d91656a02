"""Business-time arithmetic for SLA clocks, hand-written.

Why not a library: the ones on PyPI either only measure durations (no deadlines)
or are unmaintained and built on pytz; SLA clocks need both directions (when is a
target due, how much business time has been used) on a per-policy calendar with
zoneinfo time zones, DST and holidays.

A calendar is a time zone, a set of working weekdays (Monday = 0), daily working
hours (start before end, same day) and holiday dates, all in the calendar's local
time. Durations are real elapsed time inside working hours: on a DST change day a
09:00-17:00 day is still 8 hours long, because both ends are local wall-clock times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# No calendar looks further than this for working time (a year of holidays at most).
MAX_DAYS = 800


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9)
    end: time = time(17)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.working_days:
            raise CalendarError("A support calendar needs at least one working day.")
        if not set(self.working_days) <= set(range(7)):
            raise CalendarError("Working days are weekdays 0 (Monday) to 6 (Sunday).")
        if self.start >= self.end:
            raise CalendarError("Working hours must start before they end, on the same day.")
        ZoneInfo(self.time_zone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (aware datetimes) that end after `moment`, in order."""
        zone = self.zone
        day = moment.astimezone(zone).date()
        for offset in range(MAX_DAYS):
            current = day + timedelta(days=offset)
            if not self.is_working_day(current):
                continue
            opens = datetime.combine(current, self.start, tzinfo=zone)
            closes = datetime.combine(current, self.end, tzinfo=zone)
            if closes > moment:
                yield max(opens, moment), closes
        raise CalendarError(f"No working time within {MAX_DAYS} days; check the calendar.")

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of business time has passed after `moment`."""
        if moment.tzinfo is None:
            raise CalendarError("Business-time arithmetic needs an aware datetime.")
        remaining = duration
        for begins, ends in self._intervals_from(moment):
            available = ends - begins
            if remaining <= available:
                return begins + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals_from raises first")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from `start` to `end` (zero if end is not after start)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise CalendarError("Business-time arithmetic needs aware datetimes.")
        total = timedelta()
        if end <= start:
            return total
        for begins, ends in self._intervals_from(start):
            if begins >= end:
                break
            total += min(ends, end) - begins
        return total
