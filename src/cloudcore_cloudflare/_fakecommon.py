"""Shared pieces of the fake Cloudflare API: the error type, ids, timestamps, page pagination."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = ["ApiError", "new_id", "now", "page", "ruleset_error"]


class ApiError(Exception):
    """An API error: HTTP status, Cloudflare error code and message.

    ``pointer`` is the JSON pointer of the offending field (the Rulesets API names it in
    ``source.pointer``); ``chain`` holds the ``error_chain`` entries the DNS API nests under a
    generic code (``1004 DNS Validation Error`` with ``9021`` inside, for instance).
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        pointer: str | None = None,
        chain: tuple[tuple[int, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.pointer = pointer
        self.chain = chain

    def as_error(self) -> dict[str, Any]:
        """The entry of the envelope's ``errors`` list."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.pointer is not None:
            err["source"] = {"pointer": self.pointer}
        if self.chain:
            err["error_chain"] = [{"code": c, "message": m} for c, m in self.chain]
        return err


def ruleset_error(value: Any, field: str, because: str, pointer: str) -> ApiError:
    """A Rulesets API validation error.

    The Rulesets API answers an invalid field with HTTP 400, code 20217 and the message
    ``'<value>' is not a valid value for <field> because <reason>``, naming the field in
    ``source.pointer`` (seen in terraform-provider-cloudflare#6273 and cloudflare-docs#28223,
    whose expression error has the same shape: "... is not a valid value for
    counting_expression because could not parse filter expression: ...").
    """
    return ApiError(
        400, 20217, f"'{value}' is not a valid value for {field} because {because}", pointer=pointer
    )


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
