"""The operations kit in deploy/ and the Dockerfile: the alert rules pass promtool (when it is
installed), and the dashboard and the rules query only series the daemon exports."""

import json
import re
import shutil
import subprocess

import pytest
import yaml  # PyYAML: installed with the test extras (moto's server needs it)
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from procore_ingest.errors import VespaConnectionError
from procore_ingest.pipeline.metrics import SyncMetrics
from procore_ingest.pipeline.sync import CycleResult, TableSync
from tests.helpers import ROOT

DEPLOY = ROOT / "deploy"
SERIES = re.compile(r"\bprocore_sync_\w+")
# series that do not come from procore-sync's own registry: Prometheus' own and the process collector's
OTHER_SERIES = {"up", "process_start_time_seconds"}


def exported() -> tuple[set[str], set[str]]:
    """(sample names, label names) the daemon's registry exports once every series has a value."""
    metrics = SyncMetrics(interval_s=300)
    broken = TableSync("drawings", status="failed", error="x", error_source="vespa")
    metrics.record_cycle(CycleResult("s", "f", 2.0, {"photos": TableSync("photos", records=5, inserted=3, removed=1),
                                                     "rfis": TableSync("rfis", records=2), "drawings": broken},
                                     pending={"photos": 1}))
    metrics.record_failure(VespaConnectionError("down"), 0.5)
    names, labels = set(), set()
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            names.add(sample.name)
            labels.update(sample.labels)
    return names, labels


def dashboard() -> dict:
    return json.loads((DEPLOY / "grafana-dashboard.json").read_text())


def dashboard_queries(dash: dict) -> list[str]:
    queries = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            queries.append(var["definition"])
    return queries


def alert_queries() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def check_series(queries: list[str], where: str) -> None:
    names, labels = exported()
    assert queries
    for query in queries:
        for series in SERIES.findall(query):
            assert series in names, f"{where} queries {series}, which procore-sync does not export"
        for grouped in re.findall(r"\bby \(([^)]*)\)", query):
            for label in (x.strip() for x in grouped.split(",")):
                assert label in labels | {"instance", "job", "le"}, f"{where} groups by unknown label {label}"


def test_dashboard_queries_only_exported_series():
    dash = dashboard()
    queries = dashboard_queries(dash)
    check_series(queries, "deploy/grafana-dashboard.json")
    names, _ = exported()
    families = {n.removesuffix("_total").removesuffix("_bucket") for n in names if n.startswith("procore_sync_")}
    drawn = {s.removesuffix("_total").removesuffix("_bucket") for q in queries for s in SERIES.findall(q)}
    # the panels the operations review asked for are all there
    for needed in ("procore_sync_cycles", "procore_sync_cycles_failed", "procore_sync_cycle_duration_seconds",
                   "procore_sync_seconds_since_last_success", "procore_sync_pending_operations",
                   "procore_sync_changes_fed", "procore_sync_changes_removed", "procore_sync_table_rows",
                   "procore_sync_table_documents", "procore_sync_errors", "procore_sync_build_info"):
        assert needed in drawn and needed in families, needed


def test_dashboard_is_importable():
    dash = dashboard()
    assert dash["title"] and dash["uid"] and dash["schemaVersion"] >= 30
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"])
        assert all('instance=~"$instance"' in t["expr"] for t in panel["targets"]), panel["title"]


def test_alert_rules_query_only_exported_series():
    check_series(alert_queries(), "deploy/alerts.yml")
    text = (DEPLOY / "alerts.yml").read_text()
    for alert in ("ProcoreSyncStalled", "ProcoreSyncOperationsPending", "ProcoreSyncVespaErrors",
                  "ProcoreSyncDatabaseErrors"):
        assert f"alert: {alert}" in text
    for query in alert_queries():
        for other in re.findall(r"\b(up|process_\w+)\b", query):
            assert other in OTHER_SERIES


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed here (Debian: apt-get install prometheus): rules not checked by it")
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        out = subprocess.run([promtool, *args], capture_output=True, text=True, cwd=DEPLOY, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_runs_the_daemon_as_a_user_with_its_health_check():
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    instructions = [line.split()[0] for line in lines if line.split()[0].isupper()]
    assert instructions[0] == "FROM" and "slim" in lines[0]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert instructions.index("USER") < instructions.index("ENTRYPOINT")
    entry = json.loads(next(line for line in lines if line.startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
    assert entry[:2] == ["procore-sync", "--daemon"]
    port = entry[entry.index("--metrics-port") + 1]
    assert entry[entry.index("--metrics-host") + 1] == "0.0.0.0"  # reachable through -p
    assert f"EXPOSE {port}" in lines
    assert f"127.0.0.1:{port}/health" in text.split("HEALTHCHECK", 1)[1]
    # what it copies exists, and the .dockerignore lets it through
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    ignore = (ROOT / ".dockerignore").read_text()
    for kept in ("!pyproject.toml", "!README.md", "!procore_ingest/"):
        assert kept in ignore
    assert 'procore-sync = "procore_ingest.cli.sync:main"' in (ROOT / "pyproject.toml").read_text()
