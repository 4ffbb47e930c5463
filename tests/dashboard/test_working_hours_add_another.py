"""Working hours, "Save and Add Another": the next block's form keeps the therapist (bug 6)."""

from __future__ import annotations

import re

from tests.dashboard.conftest import text


def test_save_and_add_another_keeps_the_therapist_for_the_next_block(admin, clinic):
    response = admin.post(
        "/hours/new/",
        {
            "therapist_id": str(clinic.boris.id),
            "weekday": "5",
            "start_time": "09:00",
            "end_time": "12:00",
            "_add_another": "Save and Add Another",
        },
    )
    assert response.status_code == 302
    form = text(admin.get(response.headers["Location"]))
    selected = re.search(r'<select[^>]*name="therapist_id".*?</select>', form, re.S)
    assert selected and f'<option selected value="{clinic.boris.id}">' in selected.group(0)
    fresh = text(admin.get("/hours/new/"))  # only the next form: a new one starts afresh
    again = re.search(r'<select[^>]*name="therapist_id".*?</select>', fresh, re.S)
    assert again and f'<option selected value="{clinic.boris.id}">' not in again.group(0)
