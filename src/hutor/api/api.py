"""The JSON API's one NinjaAPI: /api/v1/, its OpenAPI 3.1 document and its docs page (Swagger
UI from ninja's own static files, no CDN), and how every error becomes a problem document."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from hutor.accounts.exceptions import AccountError
from hutor.api import problems
from hutor.api.links import add_links
from hutor.api.problems import ApiProblem
from hutor.api.security import TokenAuth
from hutor.backoffice.exceptions import AlreadyDone, DeskError, ReasonRequired
from hutor.invoices.exceptions import InvoiceError
from hutor.offers.exceptions import OfferError
from hutor.payments.exceptions import PaymentError
from hutor.services.exceptions import ServiceError

log = logging.getLogger(__name__)

DESCRIPTION = """Hutor's billing operations for the provider's other systems (docs/api.md).

Authenticate with `Authorization: Bearer htr_...` (a staff token from the desk, or a customer
token from the panel's profile). Every POST needs an `Idempotency-Key` header. Errors are RFC
9457 `application/problem+json` documents with a stable `code`."""


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


# The problems any operation may answer (besides those an operation declares itself).
COMMON_PROBLEMS = (400, 422, 429)
TOKEN_PROBLEMS = (401, 403, 404)
WRITE_PROBLEMS = (409,)


class HutorApi(NinjaAPI):
    """NinjaAPI whose document says what the wrapper and the error handlers really answer:
    problem documents as `application/problem+json`, on every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        problem = {"$ref": "#/components/schemas/Problem"}
        for item in document["paths"].values():
            for method, operation in item.items():
                # One key per status: ninja's own are ints, and "400" beside 400 would be a
                # duplicate key in the JSON (which Swagger UI's YAML parser refuses).
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for answer in responses.values():
                    content = answer.get("content", {})
                    if content.get("application/json", {}).get("schema") == problem:
                        answer["content"] = {problems.CONTENT_TYPE: {"schema": problem}}
                codes = list(COMMON_PROBLEMS)
                if operation.get("security"):
                    codes += TOKEN_PROBLEMS
                if method == "post":
                    codes += WRITE_PROBLEMS
                for code in codes:
                    responses.setdefault(
                        str(code),
                        {
                            "description": str(problems.PROBLEMS_BY_STATUS[code]),
                            "content": {problems.CONTENT_TYPE: {"schema": problem}},
                        },
                    )
        if "/api/v1/accounts" in document["paths"]:  # the full document (not a router's part)
            add_links(document)
        return document


api = HutorApi(
    title="Hutor API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=Renderer(),
)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problems.from_exception(request, exc)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors
    ]
    return problems.response(
        request, "validation_error", _("Some fields are missing or not valid."), errors=errors
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problems.response(
        request,
        "unauthenticated",
        _("Send an API token: Authorization: Bearer htr_..."),
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(AuthorizationError)
def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problems.response(request, "forbidden")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.response(request, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {404: "not_found", 405: "method_not_allowed", 403: "forbidden"}.get(
        exc.status_code, "bad_request"
    )
    return problems.response(request, code, str(exc.message), status=exc.status_code)


@api.exception_handler(ReasonRequired)
def _reason(request: HttpRequest, exc: ReasonRequired) -> HttpResponse:
    return problems.response(request, "reason_required", str(exc))


@api.exception_handler(AlreadyDone)
def _already(request: HttpRequest, exc: AlreadyDone) -> HttpResponse:
    return problems.response(request, "already_done", str(exc))


def _refused(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    return problems.response(request, "refused", str(exc))


for refusal in (DeskError, ServiceError, InvoiceError, PaymentError, AccountError, OfferError):
    api.add_exception_handler(refusal, _refused)


@api.exception_handler(DjangoValidationError)
def _model_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = [(["body", field], " ".join(map(str, m))) for field, m in exc.message_dict.items()]
    else:
        fields = [(["body"], " ".join(exc.messages))]
    errors: list[dict[str, Any]] = [
        {"loc": loc, "msg": msg, "type": "invalid"} for loc, msg in fields
    ]
    return problems.response(
        request, "validation_error", " ".join(msg for _loc, msg in fields), errors=errors
    )


@api.exception_handler(Exception)
def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API %s %s failed", request.method, request.path)
    return problems.response(request, "server_error", _("Something went wrong on our side."))


def _register() -> None:
    from hutor.api.endpoints import accounts, catalog, money, services

    api.add_router("/catalog", catalog.router)
    api.add_router("", accounts.router)
    api.add_router("", services.router)
    api.add_router("", money.router)


_register()
