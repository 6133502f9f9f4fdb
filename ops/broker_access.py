"""Sets up the local broker for a system: its vhost, one user per process role with its permissions,
and its exchanges and queues, in one `rabbitmqctl import_definitions`; `guest` gets no access.

`python -m ops.broker_access` does it for `make run` (which does it anyway before it starts the
services). Passwords come from `BROKER_PASSWORD_<ROLE>` where set, else from `.run/secrets.json`,
generated on first use; so does `CORRELATION_SECRET`, the key the orchestrators sign commands with.
`python -m ops.broker_access --definitions > message-broker/definitions.json` writes compose's copy.
"""

import asyncio
import json as stdlib_json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from ops import registry
from shared import access, json

SECRETS = Path(".run/secrets.json")
CORRELATION_VARIABLE = "CORRELATION_SECRET"
LOCAL_AMQP = "amqp://127.0.0.1:5672/"


@dataclass(frozen=True)
class BrokerAccess:
    """A system's vhost on a broker, and what each of its processes logs in with."""

    amqp_url: str  # where the broker is; its credentials and vhost are not used
    vhost: str
    passwords: dict[str, str]  # by role
    correlation_secret: str
    node: str = ""  # the RabbitMQ node `rabbitmqctl` talks to: the machine's own unless named

    def user(self, role: str) -> str:
        return access.user(role, self.vhost)

    def url(self, role: str) -> str:
        parts = urlsplit(self.amqp_url)
        login = f"{quote(self.user(role), safe='')}:{quote(self.passwords[role], safe='')}"
        # Every node of a cluster, as `host1:port1,host2:port2`: a client moves to another when one dies.
        servers = ",".join(_with_port(server) for server in parts.netloc.rpartition("@")[2].split(","))
        return f"{parts.scheme}://{login}@{servers}/{quote(self.vhost, safe='')}"

    @property
    def admin_url(self) -> str:
        return self.url(access.ADMIN)


def _with_port(server: str) -> str:
    return server if ":" in server else f"{server}:5672"


def stored_secrets(roles: Sequence[str], path: Path = SECRETS) -> tuple[dict[str, str], str]:
    """Each role's password and the correlation secret: from the environment where set, else from
    `path`, where any missing are generated and kept (readable by this user only)."""
    stored: dict[str, str] = json.loads(path.read_bytes()) if path.exists() else {}
    names = [*map(access.password_variable, roles), CORRELATION_VARIABLE]
    if missing := [name for name in names if name not in stored]:
        stored |= {name: secrets.token_urlsafe(24) for name in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(json.dumps(stored))
    chosen = {name: os.environ.get(name) or stored[name] for name in names}
    return {role: chosen[access.password_variable(role)] for role in roles}, chosen[CORRELATION_VARIABLE]


def generated(amqp_url: str, vhost: str, services: Iterable[str]) -> BrokerAccess:
    """Fresh secrets kept nowhere: for a test run's vhost, removed when it ends."""
    passwords = {role: secrets.token_urlsafe(24) for role in access.roles(services)}
    return BrokerAccess(amqp_url, vhost, passwords, secrets.token_urlsafe(24))


async def provision(
    broker: BrokerAccess,
    services: Iterable[str],
    *,
    prefix_pattern: str = "",
    topology_prefix: str | None = "",
) -> None:
    """Creates or updates the vhost, its users and permissions (and topology, see `definitions`)."""
    document = access.definitions(
        broker.vhost, services, prefix_pattern=prefix_pattern, topology_prefix=topology_prefix
    )
    document = access.with_passwords(document, broker.passwords)
    # rabbitmqctl runs as the broker's user, so the file must be readable by others for the
    # moment it exists; it holds salted hashes only.
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(json.dumps(document))
        file.flush()
        os.fchmod(file.fileno(), 0o644)
        await rabbitmqctl("import_definitions", file.name, node=broker.node)
    # A vhost created earlier may have granted guest something; it gets nothing (if it exists).
    await rabbitmqctl("clear_permissions", "-p", broker.vhost, "guest", missing_ok=True, node=broker.node)


async def remove(broker: BrokerAccess) -> None:
    """Deletes the vhost, with everything in it, and its users."""
    await rabbitmqctl("delete_vhost", broker.vhost, node=broker.node)
    await asyncio.gather(
        *(rabbitmqctl("delete_user", broker.user(role), node=broker.node) for role in broker.passwords)
    )


async def rabbitmqctl(*arguments: str, missing_ok: bool = False, node: str = "") -> None:
    """Runs a `rabbitmqctl` command; with `missing_ok`, a user or vhost that does not exist is no error."""
    target = ("-n", node) if node else ()
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "-q",
        *target,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode == 0 or (missing_ok and b"does not exist" in output):
        return
    raise RuntimeError(f"rabbitmqctl {arguments[0]} failed: {output.decode(errors='replace')}")


async def set_up_local(
    services: Iterable[str],
    vhost: str = access.DEFAULT_VHOST,
    prefix: str = "",
    amqp_url: str = LOCAL_AMQP,
    node: str = "",
) -> BrokerAccess:
    """The local broker's vhost for a system whose queues carry `prefix`, set up (again) with the
    stored secrets; `node` names a node of a local cluster, whose every node `amqp_url` lists."""
    services = list(services)
    passwords, correlation_secret = stored_secrets(access.roles(services))
    broker = BrokerAccess(amqp_url, vhost, passwords, correlation_secret, node)
    await provision(broker, services, prefix_pattern=re.escape(prefix), topology_prefix=prefix)
    return broker


def main() -> None:
    """Sets up the local broker; with `--definitions`, prints the document compose loads instead
    (message-broker/definitions.json), users without password hashes."""
    if sys.argv[1:] == ["--definitions"]:
        document = access.definitions(access.DEFAULT_VHOST, registry.services())
        print(stdlib_json.dumps(document, indent=2))
        return
    broker = asyncio.run(set_up_local(registry.services()))
    roles = ", ".join(broker.user(role) for role in broker.passwords)
    print(f"vhost {broker.vhost}: users {roles}; passwords in {SECRETS} unless set by BROKER_PASSWORD_<ROLE>")


if __name__ == "__main__":
    main()
