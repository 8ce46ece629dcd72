"""Downloaded CSV cells never run as spreadsheet formulas."""

from app.csvcells import csv_safe


def test_formula_starts_get_a_leading_quote_and_other_text_is_kept():
    assert csv_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_safe(t) for t in ("+1", "-2", "@sum", "\tx", "\rx")] == [
        "'+1",
        "'-2",
        "'@sum",
        "'\tx",
        "'\rx",
    ]
    assert csv_safe("Pia Picker") == "Pia Picker" and csv_safe(None) == "" and csv_safe(42) == "42"
