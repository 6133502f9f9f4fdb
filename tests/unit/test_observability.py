"""The compose profile `observability` agrees with the code: Prometheus scrapes every process where
it serves /metrics, and every query of the Grafana dashboard names a metric the code exports."""

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from prometheus_client import REGISTRY, Counter, Gauge, Histogram

import saga_orchestrator.api.metrics as orchestrator_gauges
import saga_orchestrator.runtime.metrics as orchestrator
import shared.metrics as workers
from ops import registry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "observability"
ORCHESTRATOR = "saga-orchestrator"
WORKERS = registry.workers()
PROFILE = "observability"
# The metrics that must be there, with their labels.
EXPORTED: list[tuple[Counter | Gauge | Histogram, tuple[str, ...]]] = [
    (orchestrator.STARTED, ("workflow",)),
    (orchestrator.FINISHED, ("workflow", "status")),
    (orchestrator.DURATION, ("workflow", "status")),
    (orchestrator.STEP_DURATION, ("workflow", "step", "kind", "outcome")),
    (orchestrator.STEP_RETRIES, ("workflow", "step")),
    (orchestrator_gauges.IN_FLIGHT, ("workflow", "phase")),
    (orchestrator_gauges.OUTBOX_PENDING, ()),
    (orchestrator_gauges.OUTBOX_OLDEST_AGE, ()),
    (workers.DEAD_LETTERS, ("queue", "reason")),
    (workers.COMMANDS, ("service", "command", "outcome")),
    (workers.INBOX_DUPLICATES, ("service",)),
    (workers.COMMAND_HANDLE_SECONDS, ("service", "command")),
]
# What a family's samples are called in the exposition format, by its type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}


def _compose() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def _scrape_configs() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    return {job["job_name"]: job for job in config["scrape_configs"]}


def _exported_names() -> set[str]:
    """Every sample name the processes' registry can expose, process metrics included."""
    return {
        family.name + suffix for family in REGISTRY.collect() for suffix in SUFFIXES.get(family.type, ("",))
    } | {sample.name for family in REGISTRY.collect() for sample in family.samples}


def _queries() -> list[str]:
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "sagas.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _metric_names(query: str) -> set[str]:
    """The metric names in a PromQL query: its identifiers, less functions, groupings and labels."""
    query = re.sub(r"\b(by|without)\s*\([^)]*\)", "", query)
    query = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", query)
    return set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", query)) - {"le"}


def _name(metric: Counter | Gauge | Histogram) -> str:
    return str(next(iter(metric.describe())).name)


@pytest.mark.parametrize(("metric", "labels"), EXPORTED, ids=[_name(m) for m, _ in EXPORTED])
def test_the_code_exports_each_metric_with_its_labels(
    metric: Counter | Gauge | Histogram, labels: tuple[str, ...]
) -> None:
    assert _name(metric) in {family.name for family in REGISTRY.collect()}
    if not labels:
        with pytest.raises(ValueError, match="No label names"):
            metric.labels()
        return
    values = ["probe"] * len(labels)
    metric.labels(**dict(zip(labels, values, strict=True)))  # other label names raise
    metric.remove(*values)


def test_prometheus_scrapes_every_process_where_it_serves_its_metrics() -> None:
    services = _compose()["services"]
    jobs = _scrape_configs()
    assert set(jobs) == {ORCHESTRATOR, *WORKERS}
    # The replicas by name, so that each one `--scale` starts is scraped; /metrics on the HTTP port.
    (replicas,) = jobs[ORCHESTRATOR]["dns_sd_configs"]
    assert replicas["names"] == [ORCHESTRATOR]
    assert str(replicas["port"]) == services[ORCHESTRATOR]["environment"]["HTTP_PORT"]
    for worker in WORKERS:
        (targets,) = jobs[worker]["static_configs"]
        (target,) = targets["targets"]
        host, port = target.split(":")
        environment = services[host]["environment"]
        assert host == worker
        assert environment["METRICS_PORT"] == port
        assert environment["METRICS_HOST"] == "0.0.0.0", "reachable from the Prometheus container"


def test_the_profile_runs_prometheus_and_grafana_on_loopback_with_the_files_of_the_repo() -> None:
    services = _compose()["services"]
    for name in ("prometheus", "grafana"):
        service = services[name]
        assert service["profiles"] == [PROFILE]
        for port in service["ports"]:
            assert str(port).startswith("127.0.0.1:"), "published on loopback only"
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume
    assert services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith(
        "${GRAFANA_ADMIN_PASSWORD:?"
    )
    profiled = {name for name, service in services.items() if PROFILE in service.get("profiles", [])}
    assert {"prometheus", "grafana"} <= profiled
    assert not {ORCHESTRATOR, *WORKERS} & profiled, "the system runs without the profile"


def test_grafana_loads_the_dashboard_from_its_mount_with_the_provisioned_datasource() -> None:
    grafana = _compose()["services"]["grafana"]
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in grafana["volumes"]}
    provider = yaml.safe_load((OBSERVABILITY / "grafana" / "dashboards.yml").read_text())
    (folder,) = [item["options"]["path"] for item in provider["providers"]]
    assert mounts["./observability/grafana/dashboards"] == folder
    datasources = yaml.safe_load((OBSERVABILITY / "grafana" / "datasources.yml").read_text())
    (prometheus,) = datasources["datasources"]
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "sagas.json").read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == prometheus["uid"], panel["title"]


def test_every_dashboard_query_names_a_metric_the_code_exports() -> None:
    exported = _exported_names()
    queried = set().union(*map(_metric_names, _queries()))
    assert queried, "no query parsed"
    assert queried <= exported, sorted(queried - exported)


def test_the_dashboard_shows_throughput_outcomes_step_latency_outbox_age_and_dead_letters() -> None:
    queried = set().union(*map(_metric_names, _queries()))
    assert {
        "saga_started_total",
        "saga_finished_total",
        "saga_step_duration_seconds_bucket",
        "saga_outbox_oldest_age_seconds",
        "saga_dead_letters_total",
    } <= queried
