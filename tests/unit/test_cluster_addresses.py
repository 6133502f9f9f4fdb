"""A cluster's addresses: every node reaches the clients, each in the form its client library takes."""

from urllib.parse import urlsplit

import pytest

from ops.broker_access import BrokerAccess
from ops.cluster import Cluster
from ops.database_access import login_url
from shared.broker import node_urls

pytestmark = pytest.mark.unit

NODES = "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703"


def test_an_amqp_url_listing_nodes_gives_one_url_each_with_the_login_and_vhost() -> None:
    assert node_urls(f"amqp://u:p%40ss@{NODES}/saga") == [
        "amqp://u:p%40ss@127.0.0.1:5701/saga",
        "amqp://u:p%40ss@127.0.0.1:5702/saga",
        "amqp://u:p%40ss@127.0.0.1:5703/saga",
    ]
    assert node_urls("amqp://u:p@broker/saga") == ["amqp://u:p@broker/saga"]


def test_each_process_is_given_every_broker_node() -> None:
    access = BrokerAccess(f"amqp://{NODES}/", "saga", {"payment": "pw"}, "secret")
    url = access.url("payment")
    assert url == f"amqp://saga.payment:pw@{NODES}/saga"
    assert [urlsplit(node).netloc.rpartition("@")[2] for node in node_urls(url)] == NODES.split(",")


def test_a_single_broker_keeps_its_default_port() -> None:
    access = BrokerAccess("amqp://rabbitmq/", "saga", {"payment": "pw"}, "secret")
    assert access.url("payment") == "amqp://saga.payment:pw@rabbitmq:5672/saga"


def test_each_database_login_lists_both_servers_and_asks_for_the_one_taking_writes() -> None:
    cluster = Cluster(database_port=5741)
    url = login_url(cluster.postgres_url, "order_service", "pw")
    assert url == (
        "postgresql://order_service:pw@127.0.0.1:5741,127.0.0.1:5742/order_service"
        "?target_session_attrs=read-write"
    )


def test_a_cluster_has_three_broker_nodes_apart_from_each_other() -> None:
    brokers = Cluster(name="c", broker_port=5701).brokers
    assert [node.node for node in brokers] == ["c-1@localhost", "c-2@localhost", "c-3@localhost"]
    assert len({node.port for node in brokers}) == len({node.folder for node in brokers}) == 3
    assert len({node.environment()["RABBITMQ_DIST_PORT"] for node in brokers}) == 3
