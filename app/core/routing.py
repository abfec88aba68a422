"""What every route checks once it knows the caller may call it: the body's verdict and media type.

Authorisation is decided before the body is validated (the contract): the permission dependency
of every route calls refuse_unacceptable() after deciding who the caller is, so an anonymous or
unauthorised caller gets 401 or 403 whatever they sent.
"""

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request

from app.core.errors import DomainError, InvalidInput, UnsupportedMediaType
from app.core.middleware import REFUSAL_KEY, BadInput, check_text, is_json_media_type

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def check_form_text(request: Request) -> None:
    """The JSON guard's rule for forms: NUL and lone surrogates cannot be stored in PostgreSQL text."""
    form = await request.form()  # cached on the request: FastAPI reads this same parse
    for name, value in form.multi_items():
        try:
            check_text(name)
        except BadInput as exc:
            raise InvalidInput(str(exc)) from exc
        if isinstance(value, str):
            try:
                check_text(value)
            except BadInput as exc:
                raise InvalidInput(str(exc), loc=("body", name)) from exc


async def refuse_unacceptable(request: Request) -> None:
    """Raise the guard's verdict on this request, or 415 when the body is not what the route reads."""
    refusal = request.scope.get(REFUSAL_KEY)
    if isinstance(refusal, DomainError):
        raise refusal
    route = request.scope.get("route")
    body_field = route.body_field if isinstance(route, APIRoute) else None
    if body_field is None or request.method not in _BODY_METHODS:
        return
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if isinstance(body_field.field_info, params.Form):
        if kind in _FORM_TYPES:
            await check_form_text(request)  # FastAPI has parsed the form: the stream is spent
        elif await request.body():
            raise UnsupportedMediaType("This endpoint reads an HTML form (application/x-www-form-urlencoded)")
    elif await request.body() and not is_json_media_type(kind):
        raise UnsupportedMediaType("This endpoint reads application/json")
