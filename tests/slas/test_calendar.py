"""Business-hours arithmetic: weekends, holidays, time zones and a DST change."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from slas.calendar import BusinessCalendar, CalendarError

UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def weekdays_nine_to_five(
    zone: str = "UTC", holidays: frozenset[date] = frozenset()
) -> BusinessCalendar:
    return BusinessCalendar(time_zone=zone, start=time(9), end=time(17), holidays=holidays)


def test_friday_afternoon_request_is_due_monday_morning() -> None:
    # given a Monday-Friday 09:00-17:00 calendar and a request opened Friday 16:00
    calendar = weekdays_nine_to_five()
    opened = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # a Friday
    # when a 2-business-hour target is added
    due = calendar.add(opened, timedelta(hours=2))
    # then one hour is left on Friday and the other runs out Monday 10:00
    assert due == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_monday_holiday_moves_the_deadline_to_tuesday() -> None:
    # given the same calendar with Monday 23 November a holiday
    calendar = weekdays_nine_to_five(holidays=frozenset({date(2026, 11, 23)}))
    opened = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    # when
    due = calendar.add(opened, timedelta(hours=2))
    # then
    assert due == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_a_request_opened_at_the_weekend_starts_its_clock_on_monday() -> None:
    calendar = weekdays_nine_to_five()
    opened = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # Saturday
    assert calendar.add(opened, timedelta(minutes=30)) == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_request_opened_before_hours_starts_at_opening() -> None:
    calendar = weekdays_nine_to_five()
    opened = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert calendar.add(opened, timedelta(hours=8)) == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_the_calendar_counts_in_its_own_time_zone() -> None:
    # given a New York calendar and a request at 20:00 UTC Friday (15:00 in New York)
    calendar = weekdays_nine_to_five("America/New_York")
    opened = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    # when 4 business hours are added
    due = calendar.add(opened, timedelta(hours=4))
    # then 2 are used Friday until 17:00 local, 2 more run out Monday 11:00 local
    assert due == datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK)


def test_dst_change_keeps_working_hours_on_the_wall_clock() -> None:
    # given Berlin, where clocks go back on Sunday 25 October 2026 (CEST -> CET)
    calendar = weekdays_nine_to_five("Europe/Berlin")
    opened = datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN)  # Friday, CEST (UTC+2)
    # when 2 business hours are added across the change
    due = calendar.add(opened, timedelta(hours=2))
    # then it is Monday 10:00 on the wall clock, which is now UTC+1
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN)
    assert due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_between_measures_only_working_time() -> None:
    calendar = weekdays_nine_to_five()
    start = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # Friday 16:00
    end = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # Monday 10:30
    assert calendar.between(start, end) == timedelta(hours=2, minutes=30)
    assert calendar.between(end, start) == timedelta(0)


def test_between_is_the_inverse_of_add() -> None:
    calendar = weekdays_nine_to_five("Europe/Berlin", holidays=frozenset({date(2026, 12, 25)}))
    start = datetime(2026, 12, 23, 15, 17, tzinfo=BERLIN)
    for hours in (0.5, 3, 11, 40):
        due = calendar.add(start, timedelta(hours=hours))
        assert calendar.between(start, due) == timedelta(hours=hours)


def test_invalid_calendars_are_refused_with_a_reason() -> None:
    with pytest.raises(CalendarError, match="at least one working day"):
        BusinessCalendar(working_days=frozenset())
    with pytest.raises(CalendarError, match="start before they end"):
        BusinessCalendar(start=time(17), end=time(9))
    with pytest.raises(CalendarError, match="aware"):
        BusinessCalendar().add(datetime(2026, 1, 1), timedelta(hours=1))
