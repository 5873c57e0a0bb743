"""Errors as PostgREST reports them: `{code, message, details, hint}` and an HTTP status.

The codes are PostgREST's own (PGRSTxxx) or the PostgreSQL SQLSTATE that Supabase would return
for the same request, so a client handles the hub's errors and a hosted project's alike.
"""

from __future__ import annotations

from typing import Any


class DataError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers: dict[str, str] = {}
        """Response headers that go with the error (PostgREST's WWW-Authenticate, Retry-After)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        }

    def __repr__(self) -> str:
        return f"DataError({self.status}, {self.code!r}, {self.message!r})"


def bad_query(message: str, details: str | None = None) -> DataError:
    return DataError(400, "PGRST100", message, details)


def bad_body(message: str, details: str | None = None) -> DataError:
    return DataError(400, "PGRST102", message, details)


def invalid_text(type_name: str, value: str) -> DataError:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return DataError(400, "22P02", f'invalid input syntax for type {type_name}: "{shown}"')


def out_of_range(type_name: str, value: object) -> DataError:
    shown = str(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return DataError(400, "22003", f'value "{shown}" is out of range for type {type_name}')


def undefined_column(table: str, column: str) -> DataError:
    shown = column if len(column) <= 80 else column[:77] + "..."
    return DataError(400, "42703", f"column {table}.{shown} does not exist")


def unknown_body_column(table: str, column: str) -> DataError:
    shown = column if len(column) <= 80 else column[:77] + "..."
    return DataError(
        400, "PGRST204", f"Could not find the '{shown}' column of '{table}' in the schema cache"
    )


def unknown_table(name: str) -> DataError:
    shown = name if len(name) <= 80 else name[:77] + "..."
    return DataError(
        404,
        "PGRST205",
        f"Could not find the table 'public.{shown}' in the schema cache",
        hint="The tables are rooms, room_members and comments",
    )
