"""API keys: each names a caller and its role. Parsed once from the settings; looked up per request.

A key presented is never compared with a known key as text, where the time taken would show how
many leading characters match. It is looked up by its SHA-256 digest instead: the time a lookup
takes depends only on the digest of the guess, which tells the guesser nothing about a real key.
"""

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256
from pathlib import Path


class Role(StrEnum):
    CLIENT = "client"  # starts sagas, and reads and cancels the ones it started
    OPERATOR = "operator"  # may do everything


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role

    def may_access(self, owner: str | None) -> bool:
        """Whether this caller may see and act on a saga that `owner` started."""
        return self.role is Role.OPERATOR or owner == self.name


# Every caller while no key is configured, which only a loopback address allows.
ANONYMOUS = Caller("anonymous", Role.OPERATOR)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
KEY = re.compile(r"[A-Za-z0-9._~+/-]{16,256}=*")  # RFC 6750's token syntax, long enough not to guess
KEY_RULE = "16 to 256 of the characters A-Z a-z 0-9 - . _ ~ + / (then any '=')"


def _digest(key: str) -> bytes:
    return sha256(key.encode()).digest()


class ApiKeys:
    """The configured keys; none configured leaves the API open (on loopback only)."""

    def __init__(self, callers: dict[bytes, Caller] | None = None) -> None:
        self._by_digest = callers or {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def find(self, key: str) -> Caller | None:
        """The caller whose key this is; None for a key not configured."""
        return self._by_digest.get(_digest(key))

    def named(self, name: str) -> Caller | None:
        """The caller of this name; the dashboard's session names its operator, never the key."""
        return next((c for c in self._by_digest.values() if c.name == name), None)

    @classmethod
    def parse(cls, entries: list[tuple[str, str]]) -> "ApiKeys":
        """Parses (where, "name:role:key") pairs. A ValueError names a faulty entry by where it is,
        quoting nothing of it: a key given in the wrong place would otherwise end up in the logs."""
        callers: dict[bytes, Caller] = {}
        named: dict[str, str] = {}  # name -> where it was given
        keyed: dict[bytes, str] = {}  # digest -> where it was given
        for where, entry in entries:
            caller, digest = _entry(where, entry)
            if caller.name in named:
                raise ValueError(f"{where}: the same name as {named[caller.name]}")
            if digest in keyed:
                raise ValueError(f"{where}: the same key as {keyed[digest]}")
            named[caller.name], keyed[digest] = where, where
            callers[digest] = caller
        return cls(callers)


def _entry(where: str, entry: str) -> tuple[Caller, bytes]:
    name, role, key = (*entry.split(":", 2), "", "")[:3]
    if not key:
        raise ValueError(f"{where}: expected name:role:key")
    if not NAME.fullmatch(name) or name == ANONYMOUS.name:
        raise ValueError(f"{where}: a name is 1 to 64 of A-Z a-z 0-9 . _ -, and not {ANONYMOUS.name!r}")
    if role not in set(Role):
        raise ValueError(f"{where}: the role must be one of {', '.join(Role)}")
    if not KEY.fullmatch(key):
        raise ValueError(f"{where}: a key is {KEY_RULE}")
    return Caller(name, Role(role)), _digest(key)


def entries(api_keys: str, api_keys_file: Path | None) -> list[tuple[str, str]]:
    """The entries of API_KEYS (comma-separated) and of API_KEYS_FILE (one a line, # comments)."""
    found = [(f"API_KEYS entry {i}", e) for i, e in _numbered(api_keys.split(",")) if e]
    if api_keys_file is not None:
        try:
            lines = api_keys_file.read_text().splitlines()
        except OSError as exc:
            raise ValueError(f"API_KEYS_FILE: cannot read {api_keys_file}: {exc.strerror}") from None
        found += [(f"API_KEYS_FILE line {i}", e) for i, e in _numbered(lines) if e and e[0] != "#"]
    return found


def _numbered(parts: list[str]) -> Iterator[tuple[int, str]]:
    return ((i, part.strip()) for i, part in enumerate(parts, start=1))


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach a server bound to `host`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
