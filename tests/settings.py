"""Settings for a test, from the values it gives and the defaults alone: whatever the caller's
environment holds (a REPLICA, a LOG_LEVEL, an INVENTORY_SEED) cannot change what the test sees."""

from typing import Any, TypeVar, cast

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def explicit(settings_type: type[SettingsT], **values: Any) -> SettingsT:
    """A `settings_type` built from `values`, validated as the process would validate them."""

    def given_only(
        cls: type[BaseSettings],
        settings_cls: type[BaseSettings],
        /,
        init_settings: PydanticBaseSettingsSource,
        **_: Any,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    name = f"Explicit{settings_type.__name__}"
    built = type(name, (settings_type,), {"settings_customise_sources": classmethod(given_only)})
    return cast(SettingsT, built(**values))
