"""Every refusal has one HTTP status, whichever edge answers it."""

from __future__ import annotations

import pytest

from shared import errors
from shared.errors import ClinicError, http_status


def _all_errors(cls: type[ClinicError] = ClinicError) -> list[type[ClinicError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out += _all_errors(sub)
    return out


EXPECTED = {
    "NotFound": 404,
    "AuthError": 401,
    "Forbidden": 403,
    "Conflict": 409,
    "BookingConflict": 409,
    "RoomBusy": 409,
    "DuplicateName": 409,
    "InvalidInput": 422,
    "IdempotencyMismatch": 422,
    "BookingRefused": 422,
    "TooShortNotice": 422,
    "InvalidTransition": 422,
    "ChangedMeanwhile": 412,
    "TooManyAttempts": 429,
}


# An unreachable database is not the client's doing: see the test after this one.
CLIENT_ERRORS = [k for k in _all_errors() if k is not errors.DatabaseUnavailable]


@pytest.mark.parametrize("kind", CLIENT_ERRORS, ids=lambda k: k.__name__)
def test_every_error_maps_to_a_client_error_status(kind):
    status = http_status(kind("no"))
    assert 400 <= status < 500
    if kind.__name__ in EXPECTED:
        assert status == EXPECTED[kind.__name__]


def test_an_unreachable_database_is_a_503_that_says_when_to_try_again():
    outage = errors.DatabaseUnavailable("down")
    assert http_status(outage) == 503
    assert outage.retry_after and outage.retry_after > 0


def test_too_many_attempts_says_when_to_try_again():
    assert errors.TooManyAttempts("wait", retry_after=0).retry_after == 1
    assert errors.TooManyAttempts("wait", retry_after=90).retry_after == 90


def test_the_mapping_lives_only_in_shared_errors():
    import services.dashboard.errors as dashboard
    import services.scheduler.client_pages as client_pages
    import services.scheduler.errors as api

    for module in (api, dashboard, client_pages):
        assert module.http_status is errors.http_status
        assert not hasattr(module, "STATUS")
