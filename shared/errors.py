"""One error hierarchy for the whole clinic: raised by the rules, caught once at each edge.

Each error carries a stable `code` for programs and a `message` a receptionist understands;
`field` names the input at fault where there is one. Every edge answers an error with
`http_status(exc)`: the API as JSON, the dashboard and the client's page as a message.
"""

from __future__ import annotations


class ClinicError(Exception):
    code = "clinic_error"
    # Seconds after which trying again may succeed; the edges send it as `Retry-After`.
    retry_after: int | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def fields(self) -> dict[str, str]:
        return {self.field: self.message} if self.field else {}


class InvalidInput(ClinicError):
    """A value is malformed or out of range; nothing was written."""

    code = "invalid_input"


class NotFound(ClinicError):
    code = "not_found"


class AuthError(ClinicError):
    code = "unauthorized"


class Forbidden(AuthError):
    code = "forbidden"


class BookingRefused(ClinicError):
    """The booking rules say no, for a reason that is not another booking in the way."""

    code = "booking_refused"


class InactiveResource(BookingRefused):
    code = "inactive"


class NotQualified(BookingRefused):
    code = "not_qualified"


class RoomUnsuitable(BookingRefused):
    code = "room_unsuitable"


class OutsideWorkingHours(BookingRefused):
    code = "outside_working_hours"


class TherapistOnTimeOff(BookingRefused):
    code = "therapist_time_off"


class NotOnSlotGrid(BookingRefused):
    code = "not_on_slot_grid"


class InThePast(BookingRefused):
    code = "in_the_past"


class TooShortNotice(BookingRefused):
    code = "too_short_notice"


class BeyondHorizon(BookingRefused):
    code = "beyond_horizon"


class InvalidTransition(BookingRefused):
    """E.g. moving a cancelled booking, or completing one that has not started."""

    code = "invalid_transition"


class CancellationTooLate(BookingRefused):
    code = "cancellation_too_late"


class Conflict(ClinicError):
    """Something else already holds what was asked for."""

    code = "conflict"


class BookingConflict(Conflict):
    code = "booking_conflict"


class TherapistBusy(BookingConflict):
    code = "therapist_busy"


class RoomBusy(BookingConflict):
    code = "room_busy"


class ClientBusy(BookingConflict):
    code = "client_busy"


class ClosedForBooking(BookingConflict):
    """A room closure or a clinic holiday is in the way."""

    code = "closed"


class NoAvailability(BookingConflict):
    """No therapist or no room is free for the asked time."""

    code = "no_availability"


class DuplicateName(Conflict):
    code = "duplicate"


class IdempotencyMismatch(InvalidInput):
    code = "idempotency_key_reused"


class ChangedMeanwhile(ClinicError):
    """The booking changed after the version a change was based on (someone else moved,
    cancelled or marked it meanwhile); nothing was written. `current_version` is its version."""

    code = "changed_meanwhile"

    def __init__(
        self, message: str, *, field: str | None = None, current_version: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.current_version = current_version


class TooManyAttempts(ClinicError):
    """Too many failed log-ins or key checks from here or for this account: wait and retry."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int = 60, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


class TooManyHolds(TooManyAttempts):
    """An e-mail address already has as many unconfirmed holds as the booking page allows."""

    code = "too_many_holds"


class HoldExpired(BookingRefused):
    """A hold's confirmation came after it lapsed: its time may be someone else's now."""

    code = "hold_expired"


class OnlineBookingClosed(BookingRefused):
    """The clinic takes no bookings on its page (or not for this treatment) just now."""

    code = "online_booking_closed"


class DatabaseUnavailable(ClinicError):
    """The database cannot be reached just now (down, restarting, overloaded): retryable."""

    code = "database_unavailable"
    retry_after = 5


_HTTP_STATUS: tuple[tuple[type[ClinicError], int], ...] = (
    (Forbidden, 403),
    (AuthError, 401),
    (NotFound, 404),
    (Conflict, 409),
    (ChangedMeanwhile, 412),
    (HoldExpired, 410),
    (TooManyAttempts, 429),
    (DatabaseUnavailable, 503),
)


def http_status(exc: ClinicError) -> int:
    """The one HTTP status for an error, at every edge: any other refusal is a 422."""
    return next((status for kind, status in _HTTP_STATUS if isinstance(exc, kind)), 422)


class CourseSessionConflict(BookingConflict):
    """One session of a course is taken meanwhile; nothing of the course was written."""

    code = "course_session_conflict"


class CourseSessionRefused(BookingRefused):
    """One session of a course breaks a booking rule; nothing of the course was written."""

    code = "course_session_refused"


def course_session_error(
    index: int, total: int, when: str, cause: ClinicError
) -> CourseSessionConflict | CourseSessionRefused:
    """The refusal of session `index` (0-based) of a course, naming it and what is in its way."""
    kind = CourseSessionConflict if isinstance(cause, Conflict) else CourseSessionRefused
    return kind(
        f"Session {index + 1} of {total} ({when}): {cause.message}",
        field=f"sessions[{index}].start",
    )
