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

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# No deadline is looked for further than this many days ahead (a year of holidays at
# most); `between` has its end and no such limit.
MAX_DAYS = 800
# The days a deadline is sure to be looked for in: a request opened after the day's
# working hours has only the days after it.
LOOKAHEAD_DAYS = MAX_DAYS - 1


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

    def _intervals_from(
        self, moment: datetime, until: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (aware datetimes) that end after `moment`, in order: up to
        `until`'s day, or for MAX_DAYS days and then CalendarError."""
        zone = self.zone
        day = moment.astimezone(zone).date()
        last = until.astimezone(zone).date() if until is not None else None
        offset = 0
        while (offset < MAX_DAYS) if last is None else (day + timedelta(days=offset) <= last):
            current = day + timedelta(days=offset)
            offset += 1
            if not self.is_working_day(current):
                continue
            opens = datetime.combine(current, self.start, tzinfo=zone)
            closes = datetime.combine(current, self.end, tzinfo=zone)
            if closes > moment:
                yield max(opens, moment), closes
        if last is None:
            raise CalendarError(
                f"The support calendar has no working time in the {MAX_DAYS} days after "
                f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})."
            )

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of business time has passed after `moment`."""
        if moment.tzinfo is None:
            raise CalendarError("Business-time arithmetic needs an aware datetime.")
        remaining = duration
        try:
            for begins, ends in self._intervals_from(moment):
                available = ends - begins
                if remaining <= available:
                    return begins + remaining
                remaining -= available
        except CalendarError:
            if remaining == duration:
                raise
            hours = f"{duration.total_seconds() / 3600:g}"
            held = f"{(duration - remaining).total_seconds() / 3600:g}"
            raise CalendarError(
                f"{hours} business hours are more than the support calendar holds in the "
                f"{MAX_DAYS} days after {moment.astimezone(self.zone):%Y-%m-%d %H:%M} "
                f"({self.time_zone}): {held}."
            ) from None
        raise AssertionError("unreachable: _intervals_from raises first")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from `start` to `end` (zero if end is not after start)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise CalendarError("Business-time arithmetic needs aware datetimes.")
        total = timedelta()
        if end <= start:
            return total
        # Up to `end` only: a clock read years after it started (or a calendar whose
        # holidays took every day since) is elapsed time, not a deadline to look for.
        for begins, ends in self._intervals_from(start, until=end):
            if begins >= end:
                break
            total += min(ends, end) - begins
        return total

    def least_working_time(
        self, *, from_day: date, days: int = LOOKAHEAD_DAYS
    ) -> tuple[timedelta, date]:
        """The least working time any `days` consecutive days starting on or after
        `from_day` hold, and the first day of the first such stretch."""
        return _least_working_time(self, from_day, days)


@lru_cache(maxsize=256)  # a policy change asks it again for every partner on the policy
def _least_working_time(
    calendar: BusinessCalendar, from_day: date, days: int
) -> tuple[timedelta, date]:
    """Counted, not walked: a stretch's working days are its weekdays' less its
    holidays on working weekdays, and between two days on which a holiday enters the
    stretch the count only falls (holidays leave it), so the least is found within a
    week after `from_day` or after such a day."""
    length = datetime.combine(date.min, calendar.end) - datetime.combine(date.min, calendar.start)
    first = from_day.toordinal()
    last_possible = date.max.toordinal()
    holidays = sorted(
        day.toordinal()
        for day in calendar.holidays
        if day >= from_day and day.weekday() in calendar.working_days
    )
    entries = {first} | {max(first, holiday - days + 1) for holiday in holidays}
    full_weeks, rest = divmod(days, 7)
    least: tuple[timedelta, int] | None = None
    for entry in entries:
        for start in range(entry, min(entry + 7, last_possible + 1)):
            # Ordinal 1 (0001-01-01) was a Monday: an ordinal's weekday is (ordinal - 1) % 7.
            weekday = (start - 1) % 7
            working = full_weeks * len(calendar.working_days) + sum(
                1 for shift in range(rest) if (weekday + shift) % 7 in calendar.working_days
            )
            working -= bisect_left(holidays, start + days) - bisect_left(holidays, start)
            found = (length * working, start)
            if least is None or found < least:
                least = found
    assert least is not None  # `entries` holds `first`
    return least[0], date.fromordinal(least[1])
