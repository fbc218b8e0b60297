"""JSON responses exactly as Discord sends them (content type without charset)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

_MESSAGES = {
    400: "Invalid Form Body",
    401: "401: Unauthorized",
    403: "Missing Permissions",
    404: "404: Not Found",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
}


def json_body(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def error(status: int, code: int, message: str | None = None, errors: Any = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message or _MESSAGES.get(status, "Error")}
    if errors is not None:
        body["errors"] = errors
    headers: dict[str, str] = {}
    if status == 429:
        body.update(retry_after=0.05, **{"global": False})
        headers = {"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"}
    return json_body(body, status=status, headers=headers)


def invalid_form(problems: list[str]) -> web.Response:
    return error(400, 50035, "Invalid Form Body", {"_problems": problems})
