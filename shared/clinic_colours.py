"""The clinic's brand colour on its client pages, kept readable: text on the colour is white
or near-black, whichever contrasts more (WCAG 2.x relative luminance), links and outlines use
a shade of it dark enough for the page background, and a colour with no pairing that reaches
WCAG AA (4.5:1) is refused with the figures. Pure: the web layer writes `Theme.css()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shared.errors import InvalidInput

AA = 4.5  # WCAG 2.x AA for normal text
WHITE = "#ffffff"
NEAR_BLACK = "#111111"
PAGE_BACKGROUND = "#f6f5f2"  # the pages' --bg; the lightest background is #ffffff
TINTED_BACKGROUND = "#e8f2ec"  # notes and a hovered time: the darkest light background
DEFAULT_BRAND = "#3d6b5a"
_HEX = re.compile(r"#[0-9a-f]{6}")


@dataclass(frozen=True)
class Theme:
    brand: str  # header and buttons
    on_brand: str  # text on the brand colour
    brand_dark: str  # links and a time's label on the light backgrounds; hovered buttons

    def css(self) -> str:
        return (
            f":root {{ --brand: {self.brand}; --brand-dark: {self.brand_dark}; "
            f"--on-brand: {self.on_brand}; }}\n"
        )


# The palette the pages were designed with: the default colour keeps it exactly.
DEFAULT = Theme(brand=DEFAULT_BRAND, on_brand=WHITE, brand_dark="#2c4f42")


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of '#rrggbb', from 0 (black) to 1 (white)."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, from 1 to 21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(colour: str) -> str:
    """White or near-black, whichever reads better on `colour`."""
    return WHITE if contrast(WHITE, colour) >= contrast(NEAR_BLACK, colour) else NEAR_BLACK


def _darkened(colour: str) -> str:
    """`colour`, or the first shade of it towards black, readable as text on every light
    background of the pages."""
    r, g, b = _channels(colour)
    for step in range(21):
        keep = 1 - step / 20
        shade = f"#{round(r * keep):02x}{round(g * keep):02x}{round(b * keep):02x}"
        if contrast(shade, TINTED_BACKGROUND) >= AA:
            return shade
    return NEAR_BLACK  # not reached: black on the tint is above 15:1


def check(value: object, field: str = "brand_colour") -> str:
    """`value` as the colour to store ('#rrggbb', lower case). Raises InvalidInput for
    anything else (a name, `url(`, `;`: it ends up in a stylesheet) and for a colour that
    neither white nor near-black text reads on at WCAG AA."""
    colour = value.strip().lower() if isinstance(value, str) else ""
    if not _HEX.fullmatch(colour):
        raise InvalidInput("expected a colour like #3d6b5a (# and six hex digits)", field=field)
    on_white, on_dark = contrast(WHITE, colour), contrast(NEAR_BLACK, colour)
    if max(on_white, on_dark) < AA:
        raise InvalidInput(
            f"{colour} is a middle tone: neither white text ({on_white:.1f}:1) nor dark text "
            f"({on_dark:.1f}:1) on it reaches the {AA}:1 WCAG AA asks for; choose a darker or "
            "lighter shade",
            field=field,
        )
    return colour


@lru_cache(maxsize=32)
def theme(brand: str) -> Theme:
    """The pages' colours for a stored brand colour; one that fails `check` (written by hand
    in the database) gives the default palette, never a broken or unreadable stylesheet."""
    try:
        colour = check(brand)
    except InvalidInput:
        return DEFAULT
    if colour == DEFAULT_BRAND:
        return DEFAULT
    return Theme(brand=colour, on_brand=text_on(colour), brand_dark=_darkened(colour))
