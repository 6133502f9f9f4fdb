"""The processes' database passwords: generated once into a file, or taken from the environment; and
the URL each process logs in with."""

from pathlib import Path

import pytest

from ops import registry
from ops.database_access import login_url, password_variable, passwords

pytestmark = pytest.mark.unit

PACKAGES = registry.packages()


def test_passwords_are_generated_once_into_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    path = tmp_path / "run" / "passwords.env"

    first = passwords(path, {})

    assert set(first) == set(PACKAGES)
    assert len(set(first.values())) == len(PACKAGES)
    assert path.stat().st_mode & 0o777 == 0o600
    assert passwords(path, {}) == first
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_a_service_added_since_the_file_was_written_gets_its_password_and_the_others_keep_theirs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "passwords.env"
    first = passwords(path, {})
    lines = path.read_text().splitlines()
    path.write_text("".join(f"{line}\n" for line in lines if not line.startswith("SHIPPING_SERVICE")))

    again = passwords(path, {})

    assert {p: v for p, v in again.items() if p != "shipping_service"} == {
        p: v for p, v in first.items() if p != "shipping_service"
    }
    assert again["shipping_service"] not in first.values()
    assert passwords(path, {}) == again
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_environment_wins_and_with_every_password_there_no_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "passwords.env"
    environ = {password_variable(package): f"{package}-secret" for package in PACKAGES}

    assert passwords(path, environ) == {package: f"{package}-secret" for package in PACKAGES}
    assert not path.exists()
    one = {password_variable("order_service"): "from-env"}
    assert passwords(path, one)["order_service"] == "from-env"
    assert passwords(path, {})["order_service"] != "from-env"


def test_a_login_url_keeps_the_server_and_options_but_names_the_role_and_its_database() -> None:
    owner = "postgresql://root:owner-secret@db.example:6432/postgres?sslmode=verify-full"

    url = login_url(owner, "t1_order_service", "p@ss/word:")

    assert (
        url
        == "postgresql://t1_order_service:p%40ss%2Fword%3A@db.example:6432/t1_order_service?sslmode=verify-full"
    )
