"""Who may do what on the broker: a vhost of the system's own, one user per process role, each
allowed only what that process needs, as a RabbitMQ definitions document.

The same document serves `make run` (imported with `rabbitmqctl`), compose (loaded at boot, its
password hashes filled in from the environment by `python -m shared.access`) and the tests.
Permissions are regular expressions over resource names, built from the topology's names: a
service may read its own command queue and publish replies and dead letters, nothing else; only
the orchestrator may publish commands; nobody but the setup may configure the fixed topology.
"""

import base64
import hashlib
import os
import re
import secrets
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from shared import json, topology

ORCHESTRATOR = "orchestrator"
ADMIN = "admin"  # the setup and the operators: everything in the vhost, and the management UI
DEFAULT_VHOST = "saga"

Definitions = dict[str, Any]


def user(role: str, vhost: str) -> str:
    """A role's user name: the vhost's name first, so that each vhost's users stay apart."""
    return f"{vhost}.{role}"


def vhost_of(amqp_url: str) -> str:
    """The vhost an AMQP URL names; `/` when it names none, as for the broker's default."""
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def user_of(amqp_url: str) -> str:
    return unquote(urlsplit(amqp_url).username or "guest")


def password_variable(role: str) -> str:
    """The environment variable that sets a role's password."""
    return f"BROKER_PASSWORD_{role.upper()}"


def _names(prefix_pattern: str, *names: str) -> str:
    """A regular expression matching exactly the given names (patterns allowed) after the prefix."""
    return f"^{prefix_pattern}(?:{'|'.join(names)})$"


def permissions(role: str, prefix_pattern: str = "") -> tuple[str, str, str]:
    """(configure, write, read) for a role; `prefix_pattern` matches the queue prefixes allowed."""
    esc = re.escape
    replica_queues = esc(topology.replica_reply_queue("", "")) + ".+"
    if role == ADMIN:
        return ".*", ".*", ".*"
    if role == ORCHESTRATOR:
        # Its own reply queue it declares (configure), binds (write on the queue, read on the
        # exchange) and consumes; the reply exchange is the queue's dead-letter exchange (write).
        # It keeps the dead letters (read), and sends a redriven command through the command
        # exchange it writes to anyway.
        configure = _names(prefix_pattern, replica_queues)
        write = _names(prefix_pattern, *map(esc, topology.exchanges()), replica_queues)
        read = _names(
            prefix_pattern,
            esc(topology.reply_queue()),
            replica_queues,
            esc(topology.reply_exchange()),
            esc(topology.dead_letter_queue()),
        )
        return configure, write, read
    answers = (esc(topology.reply_exchange()), esc(topology.dead_letter_exchange()))
    return "^$", _names(prefix_pattern, *answers), _names(prefix_pattern, esc(topology.command_queue(role)))


def roles(services: Iterable[str]) -> list[str]:
    return [ADMIN, ORCHESTRATOR, *services]


def definitions(
    vhost: str, services: Iterable[str], *, prefix_pattern: str = "", topology_prefix: str | None = ""
) -> Definitions:
    """The vhost, its users (with no password yet) and their permissions, and, unless
    `topology_prefix` is None, the exchanges, queues and bindings under that prefix."""
    services = list(services)
    document: Definitions = {
        "vhosts": [{"name": vhost}],
        "users": [
            {
                "name": user(role, vhost),
                "password_hash": "",
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ["management"] if role == ADMIN else [],
                "limits": {},
            }
            for role in roles(services)
        ],
        "permissions": [
            dict(zip(("configure", "write", "read"), permissions(role, prefix_pattern), strict=True))
            | {"user": user(role, vhost), "vhost": vhost}
            for role in roles(services)
        ],
    }
    if topology_prefix is not None:
        document |= _topology(vhost, services, topology_prefix)
    return document


def _topology(vhost: str, services: list[str], prefix: str) -> Definitions:
    queues = [
        *(topology.command_queue(service, prefix) for service in services),
        topology.reply_queue(prefix),
        topology.dead_letter_queue(prefix),
    ]
    where = {"vhost": vhost, "durable": True, "auto_delete": False}
    return {
        "exchanges": [
            {"name": name, "type": "direct", "internal": False, "arguments": {}} | where
            for name in topology.exchanges(prefix)
        ],
        "queues": [
            {"name": name, "arguments": dict(topology.arguments(name, prefix))} | where for name in queues
        ],
        "bindings": [
            {
                "source": topology.exchange_for(name, prefix),
                "vhost": vhost,
                "destination": name,
                "destination_type": "queue",
                "routing_key": name,
                "arguments": {},
            }
            for name in queues
        ],
    }


def password_hash(password: str) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def with_passwords(document: Definitions, passwords: Mapping[str, str]) -> Definitions:
    """The document with each user's password hash filled in from `passwords` (by role)."""
    vhost = document["vhosts"][0]["name"]
    users = []
    for entry in document["users"]:
        role = entry["name"].removeprefix(f"{vhost}.")
        users.append(entry | {"password_hash": password_hash(passwords[role])})
    return document | {"users": users}


def passwords_from_environment(document: Definitions) -> dict[str, str]:
    """Each role's password from `BROKER_PASSWORD_<ROLE>`; a missing one is an error, not a default."""
    vhost = document["vhosts"][0]["name"]
    roles = [entry["name"].removeprefix(f"{vhost}.") for entry in document["users"]]
    missing = [password_variable(role) for role in roles if not os.environ.get(password_variable(role))]
    if missing:
        raise SystemExit(f"set {', '.join(missing)}: every broker user needs a password")
    return {role: os.environ[password_variable(role)] for role in roles}


def main() -> None:
    """`python -m shared.access SOURCE TARGET`: writes SOURCE's definitions to TARGET, with each
    user's password hash from the environment (compose runs this before the broker starts)."""
    source, target = map(Path, sys.argv[1:3])
    document = json.loads(source.read_bytes())
    target.write_bytes(json.dumps(with_passwords(document, passwords_from_environment(document))))
    target.chmod(0o644)  # the broker runs as another user; the hashes are salted


if __name__ == "__main__":
    main()
