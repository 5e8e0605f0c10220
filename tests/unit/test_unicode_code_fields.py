"""Every code-like field of every route, swept with Unicode look-alikes (issue 16, item 1).

A code-like field (ID number, region code, month, application number, account number, phone,
receipt reference, the identifiers in paths and filters) given full-width digits, Arabic-Indic or
Devanagari digits, zero-width characters or homoglyphs must either validate to exactly what its
ASCII form validates to — the value the route then stores and looks up — or be refused (422).
Never a second value: that was a second identity for the same person, and a second payroll for
one county and month.

The list of fields is not written here. It is read from the application: every path, query, form
and body field of every route (through sub-dependencies and nested models), and cross-checked with
the OpenAPI document, where each code-like field carries `x-ascii-code`. A field added later is swept
as soon as it uses a code type, and a field whose name says "code" or "number" without one fails
the guard below until it does (or is listed, with its reason, as not code-like).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.app import create_app
from api.schemas.codes import MARKER
from infra.settings import load_settings

FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}  # ！ … ～
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
DEVANAGARI = {str(d): chr(0x0966 + d) for d in range(10)}
# Non-ASCII look-alikes: Cyrillic О З Х А В С Е Т Р Н К М, Greek Ο, and the Unicode hyphens and minus.
HOMOGLYPHS = {"0": "О", "3": "З", "X": "Х", "A": "А", "B": "В", "C": "С", "E": "Е", "T": "Т", "P": "Р",
              "H": "Н", "K": "К", "M": "М", "O": "Ο", "-": "‐", "1": "Ӏ"}  # fmt: skip
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")


def _swap(value: str, table: dict[str, str], first_only: bool = False) -> str:
    out, done = [], False
    for ch in value:
        if ch in table and not (first_only and done):
            out.append(table[ch])
            done = True
        else:
            out.append(ch)
    return "".join(out)


def variants(example: str) -> dict[str, str]:
    middle = len(example) // 2
    found = {
        "full-width": _swap(example, FULL_WIDTH),
        "half full-width": "".join(FULL_WIDTH.get(c, c) if i % 2 else c for i, c in enumerate(example)),
        "ideographic spaces around": f"\u3000{example}\u3000",
        "arabic-indic digits": _swap(example, ARABIC_INDIC),
        "one arabic-indic digit": _swap(example, ARABIC_INDIC, first_only=True),
        "devanagari digits": _swap(example, DEVANAGARI),
        "homoglyph": _swap(example, HOMOGLYPHS, first_only=True),
        "every homoglyph": _swap(example, HOMOGLYPHS),
        "minus sign for hyphen": example.replace("-", "\u2212"),
    }
    for ch in INVISIBLE:
        found[f"U+{ord(ch):04X} inside"] = example[:middle] + ch + example[middle:]
        found[f"U+{ord(ch):04X} in front"] = ch + example
    return {name: v for name, v in found.items() if v != example}


@dataclass(frozen=True)
class CodeField:
    where: str  # "GET /api/v1/… · query:month" or "POST /api/v1/… · body:applicant.id_number"
    name: str
    adapter: TypeAdapter[Any]
    schema: dict[str, Any]  # the JSON schema of the field (the branch with the marker)


def _marked(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get(MARKER):
        return schema
    for option in schema.get("anyOf", []) + ([schema["items"]] if "items" in schema else []):
        if found := _marked(option):
            return found
    return None


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if typing.get_origin(annotation) in (list, dict, tuple, typing.Union, UnionType, Annotated):
        for arg in typing.get_args(annotation):
            yield from _models(arg)


def _adapter(annotation: Any, metadata: list[Any]) -> TypeAdapter[Any]:
    """The field's validation on its own: its type with the constraints and validators beside it."""
    return TypeAdapter(Annotated[annotation, *metadata] if metadata else annotation)


def _leaves(
    model: type[BaseModel], prefix: str, seen: frozenset[type]
) -> Iterator[tuple[str, TypeAdapter[Any]]]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        nested = [m for m in _models(info.annotation) if m not in seen]
        if nested:
            for sub in nested:
                yield from _leaves(sub, f"{path}.", seen | {sub})
            continue
        yield path, _adapter(info.annotation, info.metadata)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def fields_of(app: FastAPI) -> Iterator[tuple[str, str, TypeAdapter[Any]]]:
    """(where, field name, adapter) for every request field of every route."""
    for route in iter_route_contexts(app.routes):  # included routers too
        if not isinstance(route.original_route, APIRoute):
            continue
        if not route.original_route.include_in_schema:
            # The staff pages (web/): their forms normalise codes with the same types when they build
            # the services' inputs, and tests/web checks the pasted full-width digits page by page.
            continue
        dependant = getattr(route, "dependant", None) or route.original_route.dependant
        for method in sorted(route.methods or ()):
            head = f"{method} {route.path_format}"
            for dep in _dependants(dependant):
                for kind, params in (("path", dep.path_params), ("query", dep.query_params)):
                    for p in params:
                        yield f"{head} · {kind}:{p.alias}", p.alias, _adapter(p.field_info.annotation,
                                                                              p.field_info.metadata)  # fmt: skip
                for p in dep.body_params:
                    models = list(_models(p.field_info.annotation))
                    if not models:  # a form field
                        yield f"{head} · form:{p.alias}", p.alias, _adapter(p.field_info.annotation, [])
                    for model in models:
                        for path, adapter in _leaves(model, "", frozenset({model})):
                            yield f"{head} · body:{path}", path.rsplit(".", 1)[-1], adapter


def code_fields(app: FastAPI) -> list[CodeField]:
    found = []
    for where, name, adapter in fields_of(app):
        if schema := _marked(adapter.json_schema()):
            found.append(CodeField(where, name, adapter, schema))
    return found


APP = create_app(load_settings())
CODE_FIELDS = code_fields(APP)


def _outcome(adapter: TypeAdapter[Any], value: str) -> tuple[str, Any]:
    try:
        return "ok", adapter.validate_python(value)
    except ValidationError as exc:
        return "refused", [e["type"] for e in exc.errors()]


def test_the_sweep_finds_the_code_fields_of_the_openapi_document() -> None:
    """Every parameter and body property the OpenAPI document marks is swept, and nothing else."""
    doc = APP.openapi()
    components = doc["components"]["schemas"]

    def marked_properties(schema: dict[str, Any], path: str) -> Iterator[str]:
        if "$ref" in schema:
            yield from marked_properties(components[schema["$ref"].rsplit("/", 1)[-1]], path)
            return
        if _marked(schema):
            yield path
            return
        for option in schema.get("anyOf", []) + schema.get("allOf", []):
            yield from marked_properties(option, path)
        if "items" in schema:
            yield from marked_properties(schema["items"], path)
        for key, sub in schema.get("properties", {}).items():
            yield from marked_properties(sub, f"{path}.{key}" if path else key)

    in_document = set()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            head = f"{method.upper()} {path}"
            for p in operation.get("parameters", []):
                if _marked(p["schema"]):
                    in_document.add(f"{head} · {p['in']}:{p['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                kind = "form" if "form" in str(content) else "body"
                in_document |= {f"{head} · {kind}:{f}" for f in marked_properties(content["schema"], "")}
    swept = {f.where for f in CODE_FIELDS}
    assert swept == in_document
    assert len(swept) >= 25  # ID numbers, phones, regions, months, numbers, accounts, keys, filters


# Names that say "this is a code" in a string field: such a field must use a code type.
_CODE_NAME = re.compile(r"(^|_)(code|number|month|period|phone|account|reference|key|id)s?$|^id_|_id$")
# Deliberately not code-like, each with its reason.
NOT_CODES = {
    # The field a login types its username in, and the lockout it may lift, must keep what was sent:
    # the audit log records it as tried (a variant matches no account), see services/login_guard.py.
    "username",
    # OAuth2's password form declares it (FastAPI's OAuth2PasswordRequestForm); the API never reads it.
    "client_id",
    # Free-text references to paper files (档案编号, 告知书文号) inside task forms are not identities.
}


def test_every_string_field_named_like_a_code_is_a_code_field() -> None:
    marked = {f.where for f in CODE_FIELDS}
    unmarked = []
    for where, name, adapter in fields_of(APP):
        schema = adapter.json_schema()
        types = {schema.get("type")} | {o.get("type") for o in schema.get("anyOf", [])}
        if "string" in types and _CODE_NAME.search(name) and name not in NOT_CODES and where not in marked:
            unmarked.append(where)
    assert not unmarked, f"code-like fields without a code type (api/schemas/codes.py): {unmarked}"


@pytest.mark.parametrize("field", CODE_FIELDS, ids=lambda f: f.where)
def test_each_unicode_variant_is_normalised_to_the_ascii_value_or_refused(field: CodeField) -> None:
    example = field.schema["examples"][0]
    outcome, ascii_value = _outcome(field.adapter, example)
    assert outcome == "ok", f"the example {example!r} of {field.where} is not valid: {ascii_value}"
    seconds = {}
    for kind, value in variants(example).items():
        outcome, got = _outcome(field.adapter, value)
        if outcome == "ok" and got != ascii_value:
            seconds[kind] = (value, got)
    assert not seconds, f"{field.where}: stored as a second value: {seconds}"
    # What an input method types is accepted as the same value, not refused.
    assert _outcome(field.adapter, variants(example)["full-width"]) == ("ok", ascii_value)


def test_a_full_width_payroll_month_is_the_same_month() -> None:
    month = next(f for f in CODE_FIELDS if f.where == "POST /api/v1/payroll/runs · body:month")
    assert month.adapter.validate_python("２０２６-12") == "2026-12"
    assert month.adapter.validate_python("２０２６－１２") == "2026-12"
    for refused in ("٢٠٢٦-12", "2026\u200b-12", "2026\u221212"):
        assert _outcome(month.adapter, refused)[0] == "refused"
