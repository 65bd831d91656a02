"""Django's own date formats for English, where a template shows a date or time
without prm.web.formats' filters: the same medium forms those filters give en_US
("Dec 4, 2026", "Dec 4, 2026, 7:05 PM"), instead of Django's "Dec. 4, 2026, 7:05
p.m.", so a page never mixes two. Tenants in other locales get their formats from
the filters; this is only the fallback."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, g:i A"
TIME_FORMAT = "g:i A"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, g:i A"
