"""Secret tokens for links that work without a login (feeds, a client's booking page)."""

import secrets


def new_token() -> str:
    """192 random bits, URL-safe: every row that can have a feed gets one from birth."""
    return secrets.token_urlsafe(24)
