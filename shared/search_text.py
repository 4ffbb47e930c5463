"""Text as search compares it: names without accents or case, phone numbers as bare digits.

Pure, so SQLite and PostgreSQL search alike: the folded forms are stored beside the client
(`Client.search_key`, `Client.phone_digits`) and the query is folded the same way.
"""

from __future__ import annotations

import unicodedata

# Letters Unicode does not decompose into a base letter and an accent.
_PLAIN = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th"})
# German spells an umlaut out when it cannot be typed: "Müller" is also "Mueller".
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case without accents: "Božič" -> "bozic", "Jürgen" -> "jurgen"; other scripts
    ("李梅") are kept as they are."""
    lowered = text.casefold().translate(_PLAIN)
    decomposed = unicodedata.normalize("NFKD", lowered)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def long_enough(query: str) -> bool:
    """Two characters narrow a search down; so does one Chinese, Japanese or Korean character
    ("李" is a whole family name)."""
    query = query.strip()
    if len(query) >= 2:
        return True
    return bool(query) and unicodedata.name(query, "").startswith(("CJK", "HANGUL"))


def search_key(name: str, email: str | None) -> str:
    """What a client's name and e-mail are searched in: the folded name, its spelled-out
    German form when that differs, and the e-mail."""
    forms = [fold(name)]
    spelled = fold(name.casefold().translate(_SPELLED_OUT))
    if spelled not in forms:
        forms.append(spelled)
    if email:
        forms.append(email.casefold())
    return " | ".join(forms)


def digits(phone: str) -> str:
    """A phone number's digits, whatever the spaces, dashes, dots, slashes and parentheses."""
    return "".join(ch for ch in phone if ch.isascii() and ch.isdigit())


def national_digits(query: str, calling_code: str) -> str:
    """The digits of a typed number without its country code or trunk 0, so that "040 474 696",
    "+386 40 474 696" and "00386 40 474 696" all look for "40474696" within stored digits."""
    typed = query.strip()
    number = digits(typed)
    international = typed.startswith("+") or number.startswith("00")
    number = number[2:] if number.startswith("00") else number
    if international:
        if calling_code and number.startswith(calling_code):
            return number[len(calling_code) :]
        return number
    return number[1:] if number.startswith("0") else number
