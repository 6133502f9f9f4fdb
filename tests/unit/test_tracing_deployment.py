"""The `observability` profile's tracing half agrees with the code: a collector that takes OTLP and
passes traces to Jaeger, and processes that trace only when `.env` asks them to."""

import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from ops import registry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "observability"
COLLECTOR, JAEGER = "otel-collector", "jaeger"
PROCESSES = [registry.ORCHESTRATOR, *registry.workers()]
OTLP_GRPC, OTLP_HTTP = 4317, 4318


def _services() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def _collector_config() -> dict[str, Any]:
    """The collector's config file in the repository, found through the volume compose mounts."""
    collector = _services()[COLLECTOR]
    config_path = next(arg.split("=", 1)[1] for arg in collector["command"] if arg.startswith("--config="))
    mounts = [volume.split(":") for volume in collector["volumes"]]
    source = next(host for host, container, *_ in mounts if container == config_path)
    return cast(dict[str, Any], yaml.safe_load((ROOT / source).read_text()))


def _port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def test_the_collector_and_jaeger_run_only_in_the_observability_profile() -> None:
    services = _services()
    assert services[COLLECTOR]["profiles"] == [PROFILE]
    assert services[JAEGER]["profiles"] == [PROFILE]
    assert JAEGER in services[COLLECTOR]["depends_on"]
    assert all("profiles" not in services[process] for process in PROCESSES)


def test_the_collectors_config_takes_otlp_and_sends_every_trace_to_jaeger() -> None:
    config = _collector_config()
    traces = config["service"]["pipelines"]["traces"]
    assert "otlp" in traces["receivers"]
    assert _port(config["receivers"]["otlp"]["protocols"]["http"]["endpoint"])[1] == OTLP_HTTP
    assert traces["exporters"]
    for name in traces["exporters"]:
        assert name.split("/")[0] == "otlp", "Jaeger takes OTLP"
        assert _port(config["exporters"][name]["endpoint"]) == (JAEGER, OTLP_GRPC)
    assert set(traces.get("processors", [])) <= set(config.get("processors", {}))
    assert _services()[JAEGER]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


def test_the_processes_trace_only_when_dot_env_says_so() -> None:
    for process in PROCESSES:
        environment = _services()[process]["environment"]
        otel = {name: value for name, value in environment.items() if name.startswith("OTEL_")}
        assert otel, f"{process} gets no OTEL_* variables"
        for name, value in otel.items():
            assert value == f"${{{name}:-}}", f"{process}: {name} is set outside .env"


def test_the_env_example_points_the_processes_at_the_collector_commented_out() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert not any(line.startswith("OTEL_") for line in lines), "tracing is off unless asked for"
    suggested = [
        line.removeprefix("# ").split("=", 1)[1]
        for line in lines
        if line.startswith("# OTEL_EXPORTER_OTLP_ENDPOINT=")
    ]
    assert [_port(endpoint) for endpoint in suggested] == [(COLLECTOR, OTLP_HTTP)]


def test_jaeger_and_the_collector_are_published_on_loopback_only() -> None:
    for name in (COLLECTOR, JAEGER):
        for port in _services()[name].get("ports", []):
            assert re.match(r"^127\.0\.0\.1:", port), f"{name} publishes {port} beyond loopback"
