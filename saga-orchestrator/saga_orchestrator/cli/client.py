"""The orchestrator's API as the command line calls it: where it is, the key, and what each kind
of answer means as an exit code."""

from enum import IntEnum
from typing import Any, NoReturn

import httpx
import typer
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Exit(IntEnum):
    """The exit codes, documented in `saga --help`."""

    OK = 0
    REFUSED = 1  # the API answered no: not found (404), not now (409), invalid (422), busy (429)
    USAGE = 2  # the command line itself is wrong (Typer's own code)
    AUTH = 3  # no key, a wrong one (401), or not an operator's (403)
    UNAVAILABLE = 4  # no answer, or a server error


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAGA_", frozen=True, extra="ignore")

    url: str = "http://127.0.0.1:3000"
    api_key: SecretStr | None = None
    timeout_seconds: float = 75.0  # past the longest `wait` the API allows


def fail(code: Exit, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


class Api:
    def __init__(self, settings: CliSettings) -> None:
        key = settings.api_key.get_secret_value() if settings.api_key else None
        self._http = httpx.Client(
            base_url=settings.url,
            timeout=settings.timeout_seconds,
            headers={"Authorization": f"Bearer {key}"} if key else {},
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON body; any other outcome ends the program with its exit code."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            fail(Exit.UNAVAILABLE, f"cannot reach the orchestrator at {self._http.base_url}: {exc}")
        if response.is_success:
            return response.json()
        code = response.status_code
        if code in {401, 403}:
            kind = Exit.AUTH
        elif code >= 500:
            kind = Exit.UNAVAILABLE
        else:
            kind = Exit.REFUSED
        fail(kind, f"{code}: {_detail(response)}")


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return response.text[:500]
    if isinstance(detail, list):  # a 422's fields
        return "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
    return str(detail)
