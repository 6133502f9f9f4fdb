"""Request bodies read as exact JSON: a number with a fraction or an exponent becomes a Decimal.

Read as a float, `0.1000000000000000001` would pass as 0.1 and `1e999` as infinity; as a
Decimal, each is what the client wrote, and the schema's rules apply to that.
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=Decimal)
            except json.JSONDecodeError:
                raise
            except (ValueError, RecursionError) as exc:
                # Not UTF-8, nested too deep, an integer too long: as malformed as bad syntax, so
                # the same 422, where FastAPI would answer 400 to anything but a syntax error.
                raise json.JSONDecodeError("malformed JSON", "", 0) from exc
        return self._json


class ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            return await handle(ExactJsonRequest(request.scope, request.receive))

        return exact_json_handler
