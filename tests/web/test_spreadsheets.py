from datetime import date

import pytest

from prm.spreadsheets import spreadsheet_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("+493012345678", "+493012345678"),
        ("-12.50", "-12.50"),
        ("Formula GmbH", "Formula GmbH"),
        (None, ""),
        (True, "true"),
        (date(2026, 12, 4), "2026-12-04"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_quoted_and_numbers_are_not(value, cell) -> None:
    assert spreadsheet_cell(value) == cell
