"""HTTP APIs' shared answers: refusals name the field and the rule, never echo a value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from schemas.types import CASE_REFERENCE_PATTERN
from services.runtime.consumer import TRANSIENT
from services.runtime.errors import CaseNotFound, RuleViolation, WrongStage
from services.runtime.staff import Refused

CaseRef = Annotated[str, Path(pattern=CASE_REFERENCE_PATTERN, max_length=80)]
"""A case reference in a route's path, refused (422) unless it is one."""

STRICT = ConfigDict(extra="forbid", frozen=True)
"""What every request model is: an unknown field is refused, not ignored."""


class Problem(BaseModel):
    """One thing wrong with a request: the field and the rule."""

    field: str
    rule: str


class Problems(BaseModel):
    """Why a request was refused."""

    errors: list[Problem]


REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problems} for code in (401, 403, 404, 409, 422, 503)
}


def _browser_may_sign_in(request: Request) -> bool:
    """A browser asking for a page (not an API client) of an app that signs browsers in."""
    pages = getattr(request.app.state, "browser_sign_in", False)
    return (
        bool(pages) and request.method == "GET" and "text/html" in request.headers.get("accept", "")
    )


def install_problem_handlers(app: FastAPI) -> None:
    """422 for invalid input and broken rules, 404 for unknown cases, 409 out of order,
    401 without a valid staff token, 403 without the role or for another force's token."""

    def problems(
        code: int, errors: list[Problem], headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse(Problems(errors=errors).model_dump(), status_code=code, headers=headers)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if exc.status == 401 and _browser_may_sign_in(request):
            return RedirectResponse("/sign-in", status_code=303)  # a page: go and sign in
        field, _sep, rule = exc.rule.partition(": ")
        challenge = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problems(exc.status, [Problem(field=field, rule=rule)], challenge)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        found: list[Any] = list(exc.errors())
        return problems(
            422,
            [
                Problem(
                    field=".".join(str(part) for part in error["loc"] if part != "body") or "body",
                    rule=f"{error['msg']} ({error['type']})",
                )
                for error in found
            ],
        )

    @app.exception_handler(RuleViolation)
    async def rule(_: Request, exc: RuleViolation) -> JSONResponse:
        return problems(422, [Problem(field=exc.field, rule=exc.rule)])

    @app.exception_handler(CaseNotFound)
    async def missing(_: Request, exc: CaseNotFound) -> JSONResponse:
        # Another force's case is "not found", never "forbidden": its existence is not told.
        return problems(404, [Problem(field="case_reference", rule="no such case")])

    @app.exception_handler(WrongStage)
    async def wrong_stage(_: Request, exc: WrongStage) -> JSONResponse:
        return problems(409, [Problem(field="case_reference", rule=str(exc))])

    for transient in TRANSIENT:
        if not issubclass(transient, Exception):
            continue

        @app.exception_handler(transient)
        async def unavailable(_: Request, exc: Exception) -> JSONResponse:
            return problems(503, [Problem(field="-", rule="try again shortly")])
