"""Courses and plans to response models; times carry the clinic's UTC offset."""

from __future__ import annotations

from services.scheduler import presenters
from services.scheduler.course_schemas import (
    AlternativeOut,
    CourseCounts,
    CourseOut,
    CoursePreviewOut,
    PlannedSessionOut,
)
from services.scheduler.schemas import ClientOut, Ref
from shared.catalog_cache import CatalogSnapshot
from shared.course_queries import CourseView
from shared.courses import CoursePlan
from shared.models import Client


def plan(found: CoursePlan) -> CoursePreviewOut:
    tz = found.tz
    return CoursePreviewOut(
        therapist_id=found.therapist_id,
        clashes=found.clashes,
        sessions=[
            PlannedSessionOut(
                start=s.start.astimezone(tz),
                end=s.end.astimezone(tz),
                therapist_id=s.therapist_id,
                room_id=s.room_id,
                free=s.free,
                reason=s.reason,
                reason_code=s.reason_code,
                alternatives=[
                    AlternativeOut(
                        start=a.start.astimezone(tz),
                        end=a.end.astimezone(tz),
                        therapist_id=a.therapist_id,
                        room_id=a.room_id,
                    )
                    for a in s.alternatives
                ],
            )
            for s in found.sessions
        ],
    )


def course(view: CourseView, client: Client, catalog: CatalogSnapshot) -> CourseOut:
    tz, c, counts = catalog.tz, view.course, view.counts
    return CourseOut(
        id=c.id,  # type: ignore[arg-type]
        client=ClientOut(
            id=client.id,  # type: ignore[arg-type]
            name=client.name,
            email=client.email,
            phone=client.phone,
        ),
        treatment_type=Ref(id=c.treatment_type_id, name=catalog.offers[c.treatment_type_id].name),
        planned_sessions=c.planned_sessions,
        notes=c.notes,
        created_at=c.created_at.astimezone(tz),
        cancelled_at=c.cancelled_at.astimezone(tz) if c.cancelled_at else None,
        cancel_reason=c.cancel_reason,
        counts=CourseCounts(
            done=counts.done,
            no_show=counts.no_show,
            remaining=counts.remaining,
            cancelled=counts.cancelled,
        ),
        done=counts.done,
        remaining=counts.remaining,
        cancelled=counts.cancelled,
        sessions=[presenters.booking(b, catalog) for b in view.sessions],
    )
