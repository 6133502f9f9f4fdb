"""The deployment files agree with the code: compose, Dockerfiles and broker definitions."""

import base64
import fnmatch
import hashlib
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from ops import registry
from ops.database_access import password_variable
from ops.system import role_of
from saga_orchestrator.api.keys import ApiKeys, Role, entries
from shared import access

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = registry.services()
FOLDERS = [registry.ORCHESTRATOR, *registry.workers()]  # every deployable folder, from the registry
INFRASTRUCTURE = ["postgres", "rabbitmq"]
DATABASE_SETUP = "database-setup"  # the one-shot setup step, built from ops/
BROKER_SETUP = "broker-setup"  # the broker's definitions, with password hashes from .env
ROLES = access.roles(SERVICES)


def _services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return cast(dict[str, Any], compose["services"])


def _package(folder: str) -> str:
    return folder.replace("-", "_")


def _instructions(folder: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of a Dockerfile; comments dropped, continuations joined."""
    logical, pending = [], ""
    for raw in (ROOT / folder / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(words[0].upper(), words[1]) for words in (line.split(None, 1) for line in logical)]


def _arguments(folder: str, instruction: str) -> list[str]:
    return [args for name, args in _instructions(folder) if name == instruction]


def _copied(folder: str) -> set[str]:
    """Every source the Dockerfile copies from the build context, as a path relative to it."""
    sources: set[str] = set()
    for args in _arguments(folder, "COPY"):
        words = json.loads(args) if args.startswith("[") else shlex.split(args)
        paths = [word for word in words if not word.startswith("--")]
        sources.update(path.removeprefix("./").rstrip("/") or "." for path in paths[:-1])
    return sources


def test_every_service_folder_is_a_service_of_the_registry() -> None:
    # A folder no workflow names would be built and started by nothing: it is a mistake either way.
    assert {path.name for path in ROOT.glob("*-service") if path.is_dir()} == set(registry.workers())
    for folder in FOLDERS:
        assert (ROOT / folder / _package(folder) / "__init__.py").is_file()


def test_the_built_services_are_the_deployable_folders_and_the_setup_steps() -> None:
    built = {name for name, service in _services().items() if "build" in service}
    assert built == {*FOLDERS, DATABASE_SETUP, BROKER_SETUP}
    assert _services()[BROKER_SETUP]["build"] == _services()["saga-orchestrator"]["build"], "the same image"


@pytest.mark.parametrize("folder", FOLDERS)
def test_service_builds_its_folders_dockerfile_from_the_root(folder: str) -> None:
    build = _services()[folder]["build"]
    context = ROOT / build["context"]
    assert context.resolve() == ROOT
    assert build["dockerfile"] == f"{folder}/Dockerfile"
    assert (context / build["dockerfile"]).is_file()


@pytest.mark.parametrize("folder", FOLDERS)
def test_dockerfile_runs_the_folders_package(folder: str) -> None:
    package = _package(folder)
    (cmd,) = _arguments(folder, "CMD")
    assert json.loads(cmd) == ["python", "-m", package]
    assert (ROOT / folder / package / "__main__.py").is_file()


@pytest.mark.parametrize("folder", FOLDERS)
def test_dockerfile_copies_what_the_package_needs(folder: str) -> None:
    copied = _copied(folder)
    assert "." in copied or {"pyproject.toml", "shared", folder} <= copied
    assert any("pip install --no-cache-dir ." in run for run in _arguments(folder, "RUN"))


@pytest.mark.parametrize("folder", FOLDERS)
def test_dockerfile_runs_as_a_non_root_user(folder: str) -> None:
    users = _arguments(folder, "USER")
    assert users, "no USER instruction: the process would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerignore_keeps_what_the_images_copy() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    needed = ["pyproject.toml", "shared", "shared/__init__.py", "ops", *FOLDERS]
    ignored = [path for path in needed for p in patterns if fnmatch.fnmatch(path, p)]
    assert ignored == []
    assert {".venv", ".git"} <= set(patterns)


@pytest.mark.parametrize("folder", FOLDERS)
def test_service_waits_for_healthy_infrastructure(folder: str) -> None:
    service = _services()[folder]
    for name in INFRASTRUCTURE:
        assert service["depends_on"][name]["condition"] == "service_healthy"
    assert service["restart"] == "unless-stopped"
    assert "container_name" not in service, "a fixed name forbids scaling"


@pytest.mark.parametrize("name", INFRASTRUCTURE)
def test_infrastructure_has_a_healthcheck(name: str) -> None:
    assert _services()[name]["healthcheck"]["test"]


def test_a_second_orchestrator_replica_gets_its_own_host_port() -> None:
    for mapping in _services()["saga-orchestrator"]["ports"]:
        host, _, container = str(mapping).rpartition(":")
        assert container == "3000"
        assert "-" in host, f"{mapping} publishes one host port: a second replica would clash"


def _host_ports(mapping: object) -> range:
    """The host ports a `ports` entry publishes: `[ip:]first[-last]:container`."""
    host = str(mapping).rpartition(":")[0].rpartition(":")[2]
    first, _, last = host.partition("-")
    return range(int(first), int(last or first) + 1)


def test_orchestrator_replicas_get_host_ports_no_other_service_takes() -> None:
    replicas = {p for m in _services()["saga-orchestrator"]["ports"] for p in _host_ports(m)}
    assert len(replicas) >= 3, "`--scale saga-orchestrator=3` needs three host ports"
    for name, service in _services().items():
        taken = {p for m in service.get("ports", []) for p in _host_ports(m)}
        assert name == "saga-orchestrator" or not taken & replicas, f"{name} publishes a replica's port"


def test_rabbitmq_loads_the_definitions_the_setup_fills_in() -> None:
    rabbitmq, setup = _services()["rabbitmq"], _services()[BROKER_SETUP]
    assert "./message-broker/rabbitmq.conf:/etc/rabbitmq/rabbitmq.conf:ro" in rabbitmq["volumes"]
    assert "broker-definitions:/etc/rabbitmq/definitions:ro" in rabbitmq["volumes"]
    assert rabbitmq["depends_on"][BROKER_SETUP]["condition"] == "service_completed_successfully"
    source, target = "/setup/definitions.json", "/definitions/definitions.json"
    assert setup["command"] == ["python", "-m", "shared.access", source, target]
    assert setup["volumes"] == [
        f"./message-broker/definitions.json:{source}:ro",
        "broker-definitions:/definitions",
    ]
    assert set(setup["environment"]) == {access.password_variable(role) for role in ROLES}
    conf = (ROOT / "message-broker" / "rabbitmq.conf").read_text().splitlines()
    pairs = (line.partition("=") for line in conf if not line.startswith("#"))
    options = {key.strip(): value.strip() for key, sign, value in pairs if sign}
    assert options["load_definitions"] == "/etc/rabbitmq/definitions/definitions.json"
    assert "loopback_users" not in options, "no guest, and were there one, only on loopback"


def test_the_broker_is_published_on_loopback_only() -> None:
    ports = _services()["rabbitmq"]["ports"]
    assert {str(port).split(":")[-1] for port in ports} == {"5672", "15672"}
    assert all(str(port).startswith("127.0.0.1:") for port in ports)


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_process_logs_in_to_the_vhost_as_its_own_user(folder: str) -> None:
    environment = _services()[folder]["environment"]
    # As compose substitutes it: each required ${VARIABLE:?message} by the variable's value.
    url = urlsplit(re.sub(r"\$\{(\w+):\?[^}]*\}", r"value-of-\1", environment["AMQP_URL"]))
    role = role_of(folder)
    assert url.path == f"/{access.DEFAULT_VHOST}"
    assert url.username == access.user(role, access.DEFAULT_VHOST)
    assert url.password == f"value-of-{access.password_variable(role)}"
    # Only the orchestrators sign correlation ids; a service that held the key could forge them.
    assert ("CORRELATION_SECRET" in environment) == (role == access.ORCHESTRATOR)


def test_env_example_names_every_secret_compose_requires() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    lines = (ROOT / ".env.example").read_text().splitlines()
    example = {line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")}
    assert required <= example
    assert {access.password_variable(role) for role in ROLES} | {"CORRELATION_SECRET"} <= required
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_setup_fills_in_a_hash_of_each_users_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwords = {role: f"secret-of-{role}" for role in ROLES}
    for role, password in passwords.items():
        monkeypatch.setenv(access.password_variable(role), password)
    target = tmp_path / "definitions.json"
    monkeypatch.setattr(
        sys, "argv", ["access", str(ROOT / "message-broker" / "definitions.json"), str(target)]
    )

    access.main()

    users = {user["name"]: user for user in json.loads(target.read_text())["users"]}
    for role, password in passwords.items():
        stored = base64.b64decode(users[access.user(role, access.DEFAULT_VHOST)]["password_hash"])
        salt, digest = stored[:4], stored[4:]
        assert digest == hashlib.sha256(salt + password.encode()).digest()


def test_broker_definitions_are_the_access_and_topology_the_code_sets_up() -> None:
    # The same vhost, users, permissions, exchanges and queues as `make run` sets up; compose fills
    # in the password hashes. Written by `python -m ops.broker_access --definitions`.
    definitions = json.loads((ROOT / "message-broker" / "definitions.json").read_text())
    assert definitions == access.definitions(access.DEFAULT_VHOST, SERVICES)
    assert "guest" not in {user["name"] for user in definitions["users"]}
    assert {permission["vhost"] for permission in definitions["permissions"]} == {access.DEFAULT_VHOST}


def test_the_setup_step_runs_once_from_ops_with_every_packages_migrations() -> None:
    setup = _services()[DATABASE_SETUP]
    assert (ROOT / setup["build"]["context"]).resolve() == ROOT
    assert setup["build"]["dockerfile"] == "ops/Dockerfile"
    assert setup["restart"] == "no"
    assert setup["depends_on"]["postgres"]["condition"] == "service_healthy"
    (cmd,) = _arguments("ops", "CMD")
    assert json.loads(cmd) == ["python", "-m", "ops.database_access"]
    assert {"pyproject.toml", "shared", "ops", *FOLDERS} <= _copied("ops")
    assert _arguments("ops", "USER")[-1].split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_service_starts_once_the_setup_step_has_completed(folder: str) -> None:
    assert _services()[folder]["depends_on"][DATABASE_SETUP]["condition"] == "service_completed_successfully"


def test_the_orchestrator_starts_after_every_service() -> None:
    depends_on = _services()[registry.ORCHESTRATOR]["depends_on"]
    assert set(registry.workers()) <= set(depends_on)


# A process's DATABASE_URL in compose: its own role, its password from `.env`, its own database.
LOGIN = re.compile(
    r"postgresql://(?P<role>\w+):\$\{(?P<password>\w+):\?[^}]*\}@postgres:5432/(?P<database>\w+)"
)


def test_every_process_has_a_database_and_each_logs_in_as_its_own_role() -> None:
    assert set(registry.packages()) == {_package(folder) for folder in FOLDERS}
    for folder in FOLDERS:
        login = LOGIN.fullmatch(_services()[folder]["environment"]["DATABASE_URL"])
        assert login is not None, f"{folder} does not log in with a role and a password from .env"
        package = _package(folder)
        assert login.groupdict() == {
            "role": package,
            "password": password_variable(package),
            "database": package,
        }


def test_the_setup_step_gets_the_owner_and_every_processs_password() -> None:
    environment = _services()[DATABASE_SETUP]["environment"]
    passwords = {password_variable(package) for package in registry.packages()}
    assert set(environment) == {"POSTGRES_URL", *passwords}
    for variable in passwords:
        assert environment[variable].startswith(f"${{{variable}:?")
    assert _services()["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_every_variable_compose_requires_is_in_the_env_example_and_env_stays_local() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text().splitlines()
    documented = {line.split("=", 1)[0] for line in example if "=" in line and not line.startswith("#")}
    assert required and required <= documented
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def _example_settings() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.partition("=") for line in lines if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, sign, value in pairs if sign}


def test_the_orchestrator_listens_on_every_address_and_requires_api_keys_from_dot_env() -> None:
    environment = _services()["saga-orchestrator"]["environment"]
    assert environment["HTTP_HOST"] == "0.0.0.0"
    # ":?" stops compose with this message where .env does not set the keys.
    assert environment["API_KEYS"].startswith("${API_KEYS:?")


def test_dot_env_is_kept_out_of_git_and_of_the_images() -> None:
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().splitlines(), ignore


def test_the_example_keys_name_both_roles_and_an_unedited_copy_cannot_start() -> None:
    example = _example_settings()["API_KEYS"]

    with pytest.raises(ValueError, match="API_KEYS entry 1: a key is"):
        ApiKeys.parse(entries(example, None))
    generated = [f"{i}-generated-key-0123456789" for i in range(example.count(",") + 1)]
    names_and_roles = [entry.rsplit(":", 1)[0] for entry in example.split(",")]
    edited = ",".join(f"{entry}:{key}" for entry, key in zip(names_and_roles, generated, strict=True))
    keys = ApiKeys.parse(entries(edited, None))
    assert {caller.role for caller in map(keys.find, generated) if caller} == set(Role)
    assert len(keys) == len(generated)
