"""A route class that answers 415 when a body's media type is not the one the route reads."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.core.errors import UnsupportedMediaType
from app.core.middleware import is_json_media_type

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MediaTypeRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None:
            return handler
        reads_form = isinstance(body_field.field_info, params.Form)

        async def checked_handler(request: Request) -> Response:
            if await request.body():
                kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if reads_form and kind not in _FORM_TYPES:
                    raise UnsupportedMediaType(
                        "This endpoint reads an HTML form (application/x-www-form-urlencoded)"
                    )
                if not reads_form and not is_json_media_type(kind):
                    raise UnsupportedMediaType("This endpoint reads application/json")
            return await handler(request)

        return checked_handler
