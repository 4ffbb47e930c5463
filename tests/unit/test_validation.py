"""Text the clinic stores: NUL nowhere, and names on one line with no invisible characters."""

from __future__ import annotations

import pytest

from shared import validation
from shared.errors import InvalidInput

ONE_LINE_REFUSED = {
    "\x00": "may not contain a NUL character (\\0)",
    "\n": "must be one line: no line breaks",
    "\r": "must be one line: no line breaks",
    "\u2028": "may not contain U+2028 (line separator): keep it to one line",
    "\u2029": "may not contain U+2029 (paragraph separator): keep it to one line",
    "\x85": "may not contain the control character U+0085",
    "\x0b": "may not contain the control character U+000B",
    "\x0c": "may not contain the control character U+000C",
    "\t": "may not contain the control character U+0009",
    "\x1b": "may not contain the control character U+001B",
    "\x7f": "may not contain the control character U+007F",
    "\ud800": "may not contain U+D800 (half of a character: an unpaired surrogate)",
}


@pytest.mark.parametrize(("ch", "message"), ONE_LINE_REFUSED.items(), ids=ascii)
def test_a_name_with_a_line_separator_or_control_character_is_refused_saying_which(ch, message):
    with pytest.raises(InvalidInput) as refused:
        validation.text(f"Eva{ch}Horvat", "name", max_len=200)
    assert refused.value.field == "name"
    assert refused.value.message == message


@pytest.mark.parametrize("ch", ["\x00", "\u2028", "\x85", "\x0b"], ids=ascii)
def test_multi_line_text_refuses_nul_and_invisible_characters_too(ch):
    with pytest.raises(InvalidInput) as refused:
        validation.text(f"line one{ch}line two", "notes", max_len=5000)
    assert refused.value.field == "notes"


def test_multi_line_text_keeps_line_breaks_and_tabs_and_names_keep_any_script():
    assert validation.text("one\r\ntwo\tthree", "notes", max_len=5000) == "one\r\ntwo\tthree"
    assert validation.text(" Zoë Nováková-李 ", "name", max_len=200) == "Zoë Nováková-李"


def test_one_line_strips_what_older_rows_may_still_hold():
    assert validation.one_line("Eva\u2028Horvat\x85\x0b\r\nNova\x00") == "EvaHorvat Nova"


@pytest.mark.parametrize("bad", [0, -1, 2**31, 2**63, True, "1", None])
def test_ids_are_positive_and_fit_the_database(bad):
    with pytest.raises(InvalidInput) as refused:
        validation.positive_id(bad, "client_id")
    assert refused.value.field == "client_id"


def test_the_largest_id_the_database_holds_is_an_id():
    assert validation.positive_id(2**31 - 1, "client_id") == 2**31 - 1
