"""Hostile values for every path and query parameter of every operation in the OpenAPI document.

Random generation rarely lands on the values that break a backend: integers past 2^63 (SQLite and
PostgreSQL integers are 64-bit), times that fall outside year 1..9999 once converted to UTC, NUL
characters (PostgreSQL refuses them in text), very long strings, LIKE wildcards, full-width digits
(which `\\d` in a pattern accepts). This sweep sends each of them, in every parameter, so a
regression shows up deterministically.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

NUL = "ab\x00cd"
HOSTILE: dict[str, tuple[Any, ...]] = {
    "integer": (2**63, 2**64, -(2**63) - 1),
    "number": ("1e309", "NaN"),
    "boolean": ("maybe",),
    "string": (NUL, "长" * 5000, "%_\\'\"", "４４０１０５"),
    "date-time": ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z"),
    "date": ("0001-01-01", "9999-12-31", "2026-02-30"),
}


@dataclass(frozen=True)
class Probe:
    method: str
    url: str
    query: dict[str, Any]
    label: str  # operation and parameter, for the report
    value: Any


def _kind(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf") or [schema]
    for option in options:
        kind = option.get("type")
        if kind == "array":
            return _kind(option.get("items", {}))
        if kind and kind != "null":
            return str(option.get("format") if option.get("format") in ("date", "date-time") else kind)
    return "string"


def probes(doc: dict[str, Any], fill: dict[str, str]) -> Iterator[Probe]:
    """One request per (operation, parameter, hostile value); the other path parameters get
    ordinary values from `fill` so that the hostile one is what the route has to cope with."""
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            for param in params:
                for value in HOSTILE[_kind(param.get("schema", {}))]:
                    in_path = {p["name"]: fill.get(p["name"], "x") for p in params if p["in"] == "path"}
                    query: dict[str, Any] = {}
                    if param["in"] == "path":
                        in_path[param["name"]] = value
                    else:
                        query[param["name"]] = value
                    url = path.format(**{k: quote(str(v), safe="") for k, v in in_path.items()})
                    label = f"{method.upper()} {path} · {param['in']}:{param['name']}"
                    yield Probe(method.upper(), url, query, label, value)
