"""The clinic's colour on its client pages: WCAG contrast computed right, text on it always
readable, links in a shade readable on the pages' backgrounds, and nothing but '#rrggbb'."""

from __future__ import annotations

import itertools

import pytest

from shared import clinic_colours
from shared.clinic_colours import (
    AA,
    NEAR_BLACK,
    PAGE_BACKGROUND,
    TINTED_BACKGROUND,
    WHITE,
    check,
    contrast,
    relative_luminance,
    text_on,
    theme,
)
from shared.errors import InvalidInput


def test_luminance_and_contrast_match_the_wcag_figures():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#000000") == contrast("#000000", "#ffffff")
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WebAIM's example


def test_a_dark_colour_gets_white_text_and_a_light_one_near_black():
    assert text_on("#1b4332") == WHITE
    assert text_on("#ffd166") == NEAR_BLACK


def test_the_default_colour_keeps_the_pages_palette_unchanged():
    assert theme(clinic_colours.DEFAULT_BRAND) == clinic_colours.Theme(
        brand="#3d6b5a", on_brand="#ffffff", brand_dark="#2c4f42"
    )


def test_a_light_colour_is_kept_for_the_header_but_links_use_a_darker_shade_of_it():
    light = theme("#ffd166")
    assert light.brand == "#ffd166"
    assert light.on_brand == NEAR_BLACK
    assert light.brand_dark != "#ffd166"
    assert contrast(light.brand_dark, TINTED_BACKGROUND) >= AA
    r, g, b = (int(light.brand_dark[i : i + 2], 16) for i in (1, 3, 5))
    assert r >= g >= b  # still a yellow-orange, only darker


def test_a_dark_colour_serves_as_its_own_link_colour():
    assert theme("#1b4332").brand_dark == "#1b4332"


def test_every_accepted_colour_gives_readable_text_on_it_and_readable_links():
    refused = 0
    for value in itertools.product(range(0, 256, 15), repeat=3):
        colour = "#{:02x}{:02x}{:02x}".format(*value)
        try:
            check(colour)
        except InvalidInput as exc:
            assert "middle tone" in exc.message
            assert max(contrast(WHITE, colour), contrast(NEAR_BLACK, colour)) < AA
            refused += 1
            continue
        chosen = theme(colour)
        assert contrast(chosen.on_brand, chosen.brand) >= AA, colour
        for background in (WHITE, PAGE_BACKGROUND, TINTED_BACKGROUND):
            assert contrast(chosen.brand_dark, background) >= AA, colour
        assert contrast(WHITE, chosen.brand_dark) >= AA, colour  # a hovered button's label
    assert 0 < refused < 18**3 // 20  # a narrow band of middle tones: under 5% of colours


@pytest.mark.parametrize(
    "value",
    [
        "red",
        "#abc",
        "#1b4332;",
        "#1b4332; background: url(https://evil.example/x)",
        "url(https://evil.example/x)",
        "#1b43}2",
        "1b4332",
        "#1b43322",
        "#gggggg",
        "",
        None,
        12,
    ],
)
def test_anything_but_a_hash_and_six_hex_digits_is_refused_naming_the_field(value):
    with pytest.raises(InvalidInput) as caught:
        check(value)
    assert caught.value.field == "brand_colour"
    assert "#" in caught.value.message


def test_a_middle_tone_neither_text_colour_reads_on_is_refused_with_the_figures():
    with pytest.raises(InvalidInput) as caught:
        check("#0073f0")
    assert caught.value.field == "brand_colour"
    assert "WCAG AA" in caught.value.message and ":1" in caught.value.message


def test_a_colour_is_stored_in_lower_case_without_spaces():
    assert check(" #1B4332 ") == "#1b4332"


def test_a_bad_colour_written_by_hand_in_the_database_gives_the_default_palette():
    assert theme("red; }") == clinic_colours.DEFAULT


def test_the_stylesheet_holds_the_three_custom_properties_and_nothing_else():
    assert theme("#1b4332").css() == (
        ":root { --brand: #1b4332; --brand-dark: #1b4332; --on-brand: #ffffff; }\n"
    )
