"""Fast JSON for message bodies and database columns (orjson understands UUIDs and datetimes).

Money is a `Decimal`, written as a decimal string ("12.50"): a JSON number would be read back as
a binary float, and orjson has no exact number type.
"""

from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson


def _other(value: Any) -> str:
    """asyncpg's own UUID type, read back from a uuid column, is a UUID that orjson does not know."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_other)


def dumps_str(value: Any) -> str:
    return orjson.dumps(value, default=_other).decode()


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
