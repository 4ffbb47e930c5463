"""The dashboard's screens, built for one app by `register`."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_sqlalchemy import SQLAlchemy

from shared.models import (
    Booking,
    Client,
    Closure,
    OutboxMessage,
    Room,
    Therapist,
    TimeOff,
    TreatmentType,
    User,
    WorkingHours,
)

SETUP = "Clinic"
ADMIN = "Admin"


def register(app: Flask, orm: SQLAlchemy) -> Admin:
    from services.dashboard import security_headers
    from services.dashboard.views.book import BookView
    from services.dashboard.views.booking_page import BookingPage
    from services.dashboard.views.catalog import (
        ClosureView,
        RoomView,
        TherapistView,
        TimeOffView,
        TreatmentTypeView,
        WorkingHoursView,
    )
    from services.dashboard.views.client_page import ClientPage
    from services.dashboard.views.clinic import FeedsView, SettingsView
    from services.dashboard.views.courses import CourseViews
    from services.dashboard.views.day import DayView
    from services.dashboard.views.end_of_day import EndOfDayView
    from services.dashboard.views.lists import BookingListView, OutboxView
    from services.dashboard.views.people import ClientView, StaffView
    from services.dashboard.views.rebook import RebookView
    from services.dashboard.views.waitlist import WaitlistView

    admin = Admin(
        app,
        name="Reception",
        url="/",
        index_view=DayView(name="Day", endpoint="day", url="/"),
        theme=Bootstrap4Theme(base_template="dashboard/layout.html", fluid=True),
        csp_nonce_generator=security_headers.nonce,
    )
    admin.add_view(BookView(name="New booking", endpoint="book", url="/book"))
    admin.add_view(CourseViews(name="New course", endpoint="course", url="/course"))
    admin.add_view(
        BookingListView(Booking, orm, name="Bookings", endpoint="bookings", url="/bookings")
    )
    admin.add_view(ClientView(Client, orm, name="Clients", endpoint="clients", url="/clients"))
    admin.add_view(WaitlistView(name="Waiting list", endpoint="waitlist", url="/waitlist"))
    admin.add_view(BookingPage(name="Booking", endpoint="booking", url="/booking"))
    admin.add_view(ClientPage(name="Client", endpoint="client", url="/client"))
    admin.add_view(EndOfDayView(name="End of day", endpoint="end_of_day", url="/end-of-day"))
    admin.add_view(RebookView(name="To rebook", endpoint="rebook", url="/rebook"))
    admin.add_view(
        TreatmentTypeView(
            TreatmentType,
            orm,
            name="Treatment types",
            endpoint="treatment_types",
            url="/treatment-types",
            category=SETUP,
        )
    )
    admin.add_view(
        TherapistView(
            Therapist,
            orm,
            name="Therapists",
            endpoint="therapists",
            url="/therapists",
            category=SETUP,
        )
    )
    admin.add_view(
        WorkingHoursView(
            WorkingHours, orm, name="Working hours", endpoint="hours", url="/hours", category=SETUP
        )
    )
    admin.add_view(
        TimeOffView(
            TimeOff, orm, name="Time off", endpoint="time_off", url="/time-off", category=SETUP
        )
    )
    admin.add_view(
        RoomView(Room, orm, name="Rooms", endpoint="rooms", url="/rooms", category=SETUP)
    )
    admin.add_view(
        ClosureView(
            Closure, orm, name="Closures", endpoint="closures", url="/closures", category=SETUP
        )
    )
    admin.add_view(FeedsView(name="Calendar feeds", endpoint="feeds", url="/feeds", category=SETUP))
    admin.add_view(
        SettingsView(name="Settings", endpoint="settings", url="/settings", category=SETUP)
    )
    admin.add_view(OutboxView(OutboxMessage, orm, name="Outbox", endpoint="outbox", url="/outbox"))
    admin.add_view(
        StaffView(User, orm, name="Staff accounts", endpoint="staff", url="/staff", category=SETUP)
    )
    return admin
