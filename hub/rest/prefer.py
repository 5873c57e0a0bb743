"""The request's `Prefer` header (PostgREST reads several comma-separated preferences)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.data.ops import Resolution


@dataclass(frozen=True, slots=True)
class Prefer:
    representation: bool = True
    """`return=representation` (postgrest-py's default) or `return=minimal`/`headers-only`."""
    resolution: Resolution | None = None
    count: bool = False
    """`count=exact` (planned and estimated are answered exactly too: it is cheap here)."""
    missing_default: bool = False
    """`missing=default`: keys a bulk insert leaves out take the column default, not null."""

    @classmethod
    def parse(cls, headers: list[str], *, default_representation: bool) -> Prefer:
        representation = default_representation
        resolution = None
        count = missing_default = False
        for header in headers:
            for item in header.split(","):
                key, _, value = item.strip().partition("=")
                if key == "return":
                    representation = value == "representation"
                elif key == "resolution" and value in ("merge-duplicates", "ignore-duplicates"):
                    resolution = Resolution(value)
                elif key == "count":
                    count = value in ("exact", "planned", "estimated")
                elif key == "missing":
                    missing_default = value == "default"
        return cls(representation, resolution, count, missing_default)
