"""deploy/prometheus: the example alert rules are valid, fire when they should (promtool's own
rule tests, Debian's `prometheus` package), and watch metrics the services really export."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared import metrics
from shared.db import Database
from shared.heartbeat import Heartbeat
from shared.models import utcnow
from tests.deploy.compose import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)"
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), *args],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rules() -> list[dict[str, object]]:
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


@needs_promtool
def test_promtool_accepts_the_rules_and_the_scrape_configuration() -> None:
    for args in (("check", "rules", "alerts.yml"), ("check", "config", "prometheus.yml")):
        done = promtool(*args)
        assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_the_alerts_fire_when_mail_is_stuck_or_errors_climb_and_not_before() -> None:
    done = promtool("test", "rules", "alerts_test.yml")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_there_are_alerts_for_stuck_mail_and_for_the_5xx_rate() -> None:
    alerts = {str(rule["alert"]): rule for rule in rules()}

    assert "clinic_outbox_oldest_pending_age_seconds" in str(alerts["ClinicMailStuck"]["expr"])
    assert 'status=~"5.."' in str(alerts["ClinicHigh5xxRate"]["expr"])
    for rule in alerts.values():
        assert rule["for"] and rule["labels"]["severity"]  # type: ignore[index]
        assert rule["annotations"]["summary"]  # type: ignore[index]


def test_every_metric_an_alert_watches_is_one_the_services_export(tmp_path: Path) -> None:
    from shared import migrate

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        Heartbeat(database).beat(utcnow())
        metrics.observe_request("scheduler", "/healthz", "GET", 200, 0.001)
        exported: set[str] = set()
        for family in text_string_to_metric_families(metrics.render(database).decode()):
            exported |= {sample.name for sample in family.samples}
    finally:
        database.dispose()

    for rule in rules():
        watched = set(re.findall(r"\bclinic_[a-z_]+", str(rule["expr"])))
        assert watched, rule["alert"]
        assert watched <= exported, f"{rule['alert']} watches {watched - exported}"
