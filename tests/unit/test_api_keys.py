"""API keys from the settings: parsed into callers and roles, refused with a message that names the
entry and never the key; no keys allowed only on loopback."""

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from saga_orchestrator.api.keys import ApiKeys, Caller, Role, entries, is_loopback
from saga_orchestrator.settings import Settings

pytestmark = pytest.mark.unit

SHOP_KEY = "shop-key-0123456789abcdef"
OPS_KEY = "ops-key-0123456789abcdef"
SECRET = "Secret-0123456789-never-shown"


@pytest.fixture(autouse=True)
def no_access_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_KEYS", "API_KEYS_FILE", "HTTP_HOST"):
        monkeypatch.delenv(name, raising=False)


def _keys(api_keys: str, api_keys_file: Path | None = None) -> ApiKeys:
    return ApiKeys.parse(entries(api_keys, api_keys_file))


def test_each_key_names_its_caller_and_role() -> None:
    keys = _keys(f"shop:client:{SHOP_KEY}, ops:operator:{OPS_KEY}")

    assert len(keys) == 2
    assert keys.find(SHOP_KEY) == Caller("shop", Role.CLIENT)
    assert keys.find(OPS_KEY) == Caller("ops", Role.OPERATOR)
    assert keys.find(SHOP_KEY[:-1]) is None
    assert keys.find(SHOP_KEY + "x") is None
    assert keys.find("") is None


def test_a_key_may_hold_colons_and_the_bearer_token_characters() -> None:
    key = "a.b_c~d+e/f-0123456789=="

    assert _keys(f"shop:client:{key}").find(key) == Caller("shop", Role.CLIENT)


def test_the_file_holds_one_entry_a_line_with_comments_and_adds_to_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# who may call\n\nops:operator:{OPS_KEY}\n  \n")

    keys = _keys(f"shop:client:{SHOP_KEY}", path)

    assert (keys.find(SHOP_KEY), keys.find(OPS_KEY)) == (
        Caller("shop", Role.CLIENT),
        Caller("ops", Role.OPERATOR),
    )


def test_no_entries_are_no_keys() -> None:
    assert len(_keys(" , ")) == 0


@pytest.mark.parametrize(
    ("api_keys", "problem"),
    [
        (f"shop:{SECRET}", "API_KEYS entry 1: expected name:role:key"),
        (f"ops:operator:{OPS_KEY},{SECRET}", "API_KEYS entry 2: expected name:role:key"),
        (f"shop:admin:{SECRET}", "API_KEYS entry 1: the role must be one of client, operator"),
        (f"shop:{SECRET}:client", "API_KEYS entry 1: the role must be one of client, operator"),
        ("shop:client:Secret-short", "API_KEYS entry 1: a key is 16 to 256"),
        (f"shop:client:{SECRET} x", "API_KEYS entry 1: a key is 16 to 256"),
        (f"shop:client:{SECRET}Ä", "API_KEYS entry 1: a key is 16 to 256"),
        (f"sh op:client:{SECRET}", "API_KEYS entry 1: a name is"),
        (f"anonymous:client:{SECRET}", "API_KEYS entry 1: a name is"),
        (
            f"shop:client:{SECRET},shop:operator:{OPS_KEY}",
            "API_KEYS entry 2: the same name as API_KEYS entry 1",
        ),
        (f"shop:client:{SECRET},ops:operator:{SECRET}", "API_KEYS entry 2: the same key as API_KEYS entry 1"),
    ],
)
def test_a_malformed_entry_is_refused_naming_where_it_is_and_not_its_key(api_keys: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"^API_KEYS") as refused:
        _keys(api_keys)

    assert str(refused.value).startswith(problem)
    assert "Secret" not in str(refused.value)


def test_a_malformed_file_line_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# header\nops:operator:{OPS_KEY}\nshop:client:{SECRET[:8]}\n")

    with pytest.raises(ValueError, match=r"^API_KEYS_FILE line 3: a key is") as refused:
        _keys("", path)

    assert SECRET[:8] not in str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^API_KEYS_FILE: cannot read"):
        _keys("", tmp_path / "absent")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("example.org", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_with_no_keys_the_orchestrator_listens_on_loopback_by_default() -> None:
    settings = Settings(api_keys=SecretStr(""), api_keys_file=None)

    assert settings.http_host == "127.0.0.1"
    assert len(settings.keys) == 0


def test_with_no_keys_any_other_address_is_refused_saying_why() -> None:
    with pytest.raises(ValidationError, match="no API keys are configured") as refused:
        Settings(api_keys=SecretStr(""), api_keys_file=None, http_host="0.0.0.0")

    assert "set API_KEYS or API_KEYS_FILE" in str(refused.value)


def test_with_keys_any_address_is_allowed() -> None:
    settings = Settings(api_keys=SecretStr(f"shop:client:{SHOP_KEY}"), http_host="0.0.0.0")

    assert settings.keys.find(SHOP_KEY) == Caller("shop", Role.CLIENT)


def test_the_settings_never_show_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", f"shop:client:{SECRET}")
    settings = Settings()
    monkeypatch.setenv("API_KEYS", f"shop:client:{SECRET},ops:operator:{SECRET}")

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert SECRET not in repr(settings) + str(settings)
    assert SECRET not in str(refused.value)
