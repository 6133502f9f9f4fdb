"""Compose profile `ha`: three RabbitMQ nodes that form one cluster by peer discovery, and processes
that are given every node."""

import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from ops import registry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NODES = ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]


def _services() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def _options(conf: str) -> dict[str, str]:
    lines = (ROOT / "message-broker" / conf).read_text().splitlines()
    pairs = (line.partition("=") for line in lines if not line.startswith("#"))
    return {key.strip(): value.strip() for key, sign, value in pairs if sign}


def test_the_ha_profile_adds_two_nodes_with_names_and_data_of_their_own() -> None:
    services = _services()
    peers = [services[name] for name in NODES[1:]]
    assert all(peer["profiles"] == ["ha"] for peer in peers)
    assert "profiles" not in services["rabbitmq"], "the first node runs in every profile"
    # A node's name, and so its quorum queue data, derives from its hostname.
    assert [services[name]["hostname"] for name in NODES] == NODES
    data = [next(v for v in services[name]["volumes"] if v.endswith(":/var/lib/rabbitmq")) for name in NODES]
    assert len(set(data)) == 3
    for peer in peers:
        assert "./message-broker/rabbitmq-ha.conf:/etc/rabbitmq/rabbitmq.conf:ro" in peer["volumes"]
        assert peer["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        assert peer["healthcheck"]["test"] and peer["restart"] == "unless-stopped"


def test_the_peers_find_every_node_by_the_classic_config() -> None:
    options = _options("rabbitmq-ha.conf")
    assert options["cluster_formation.peer_discovery_backend"] == "classic_config"
    listed = [
        value for key, value in options.items() if key.startswith("cluster_formation.classic_config.nodes.")
    ]
    assert listed == [f"rabbit@{name}" for name in NODES]


def test_every_node_shares_the_cookie_from_dot_env() -> None:
    cookies = {_services()[name]["environment"]["RABBITMQ_ERLANG_COOKIE"] for name in NODES}
    assert cookies == {"${RABBITMQ_ERLANG_COOKIE:?set in .env}"}


@pytest.mark.parametrize("conf", ["rabbitmq.conf", "rabbitmq-ha.conf"])
def test_each_quorum_queue_grows_a_replica_on_each_of_three_nodes(conf: str) -> None:
    options = _options(conf)
    assert options["quorum_queue.continuous_membership_reconciliation.enabled"] == "true"
    assert options["quorum_queue.continuous_membership_reconciliation.target_group_size"] == "3"


@pytest.mark.parametrize("folder", [registry.ORCHESTRATOR, *registry.workers()])
def test_each_process_is_given_every_node_the_env_lists(folder: str) -> None:
    url = _services()[folder]["environment"]["AMQP_URL"]
    assert "@${AMQP_NODES:-rabbitmq:5672}/" in url
    example = (ROOT / ".env.example").read_text()
    listed = re.search(r"^# AMQP_NODES=(\S+)$", example, re.MULTILINE)
    assert listed is not None
    nodes = urlsplit(f"amqp://u:p@{listed[1]}/saga").netloc.rpartition("@")[2].split(",")
    assert nodes == [f"{name}:5672" for name in NODES]
