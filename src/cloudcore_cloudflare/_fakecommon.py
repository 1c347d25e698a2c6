"""Shared pieces of the fake Cloudflare API: the error type, ids, timestamps, page pagination."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = ["ApiError", "new_id", "now", "page"]


class ApiError(Exception):
    """An API error: HTTP status, Cloudflare error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def page(items: list[Any], query: dict[str, str], max_per_page: int) -> tuple[list[Any], Any]:
    try:
        number = int(query.get("page", "1"))
        per_page = int(query.get("per_page", "20"))
    except ValueError:
        raise ApiError(400, 1001, "page and per_page must be integers") from None
    if number < 1 or not 1 <= per_page <= max_per_page:
        raise ApiError(400, 1001, f"per_page must be between 1 and {max_per_page}")
    total = len(items)
    chunk = items[(number - 1) * per_page : number * per_page]
    info = {
        "page": number,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": total,
        "total_pages": max(1, -(-total // per_page)),
    }
    return chunk, info
