"""Hostile values for every path and query parameter of every operation in the OpenAPI document.

Random generation rarely lands on the values that break a backend: integers past 2^63 (SQLite and
PostgreSQL integers are 64-bit), times that fall outside year 1..9999 once converted to UTC, NUL
characters (PostgreSQL refuses them in text), very long strings, LIKE wildcards, full-width digits
(which `\\d` in a pattern accepts). This sweep sends each of them, in every parameter, so a
regression shows up deterministically.

`unicode_probes` adds the Unicode cases of issue 16 for every code-like parameter (marked
`x-ascii-code` in the OpenAPI document): full-width digits and letters, Arabic-Indic digits, a
zero-width character and a Cyrillic look-alike, each paired with the same request in ASCII. The
variant must be refused (422) or answered exactly as the ASCII request is: never a near miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

NUL = "ab\x00cd"
HOSTILE: dict[str, tuple[Any, ...]] = {
    "integer": (2**63, 2**64, -(2**63) - 1),
    "number": ("1e309", "NaN"),
    "boolean": ("maybe",),
    "string": (NUL, "长" * 5000, "%_\\'\"", "４４０１０５", "٤٤٠١٠٥", "44\u200b0105", "２０２６-1２"),
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


MARKER = "x-ascii-code"
_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
_ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
_LOOK_ALIKES = {"0": "О", "3": "З", "X": "Х", "A": "А", "B": "В", "C": "С", "E": "Е", "-": "‐"}


def _first(value: str, table: dict[str, str]) -> str:
    for i, ch in enumerate(value):
        if ch in table:
            return value[:i] + table[ch] + value[i + 1 :]
    return value


UNICODE_VARIANTS: dict[str, Callable[[str], str]] = {
    "full-width": lambda v: "".join(_FULL_WIDTH.get(c, c) for c in v),
    "arabic-indic": lambda v: "".join(_ARABIC_INDIC.get(c, c) for c in v),
    "zero-width": lambda v: v[: len(v) // 2] + "\u200b" + v[len(v) // 2 :],
    "look-alike": lambda v: _first(v, _LOOK_ALIKES),
}


@dataclass(frozen=True)
class UnicodePair:
    method: str
    ascii: tuple[str, dict[str, Any]]  # url, query
    variant: tuple[str, dict[str, Any]]
    label: str
    in_path: bool


def _marked(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get(MARKER):
        return schema
    return next((m for o in schema.get("anyOf", []) if (m := _marked(o))), None)


def unicode_probes(doc: dict[str, Any], fill: dict[str, str]) -> Iterator[UnicodePair]:
    """For every code-like path or query parameter of every operation: (ASCII request, variant)."""
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            in_path = {p["name"]: fill.get(p["name"], "x") for p in params if p["in"] == "path"}
            for param in params:
                schema = _marked(param.get("schema", {}))
                if schema is None:
                    continue
                ordinary = fill.get(param["name"]) or schema["examples"][0]
                for kind, make in UNICODE_VARIANTS.items():
                    variant = make(ordinary)
                    if variant == ordinary:
                        continue
                    requests = []
                    for value in (ordinary, variant):
                        where = dict(in_path)
                        query: dict[str, Any] = {}
                        if param["in"] == "path":
                            where[param["name"]] = value
                        else:
                            query[param["name"]] = value
                        url = path.format(**{k: quote(str(v), safe="") for k, v in where.items()})
                        requests.append((url, query))
                    label = f"{method.upper()} {path} · {param['in']}:{param['name']} · {kind}"
                    yield UnicodePair(method.upper(), requests[0], requests[1], label, param["in"] == "path")
