"""Loading a form that was already accepted, without today's rules.

A form is validated once, by the update's validator, when a person submits it. What the workflow
does with it afterwards — the update handler storing it, the main coroutine reading its figures —
runs again on every replay, with the code of the day. If that code has a stricter rule (three
investigators instead of two, a longer minimum text, a new cross-field check), validating the
recorded form again would raise on replay and break every running case that passed the old rule.
So the workflow side loads a recorded form with `recorded_form`: the full validation when the form
still passes it (the usual case, and exactly what the validator produced), otherwise the same
values built without constraints and model validators — types still coerced (dates as dates,
enums as enums, nested forms as models), and the value transformations kept (whitespace strips),
so both ways give the same model for data the old rules accepted. Deterministic either way.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError

M = TypeVar("M", bound=BaseModel)

_UNIONS: tuple[Any, ...] = (Union, types.UnionType)
_SEQUENCES: tuple[type, ...] = (list, tuple, set, frozenset)


class _NotThisType(Exception):
    """A value does not fit one branch of a union (the next one is tried)."""


def recorded_form(cls: type[M], data: Mapping[str, Any]) -> M:
    """`cls` from a form accepted earlier: validated when today's rules still accept it, else
    built from its values without constraints (see the module docstring)."""
    try:
        return cls.model_validate(data)
    except ValidationError:
        return _construct(cls, data)


def _construct(cls: type[M], data: Mapping[str, Any]) -> M:
    values: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        key = info.alias or name
        if key in data:
            values[name] = _lenient(_annotated(info.annotation, info.metadata), data[key])
        elif not info.is_required():
            values[name] = info.get_default(call_default_factory=True)
    # Fields the recorded data has and today's model does not are left out: model_construct would
    # keep them as extras, which a frozen form with extra="forbid" never has.
    given = {name for name, info in cls.model_fields.items() if (info.alias or name) in data}
    return cls.model_construct(_fields_set=given, **values)


def _annotated(annotation: Any, metadata: list[Any]) -> Any:
    return Annotated[tuple([annotation, *metadata])] if metadata else annotation


def _lenient(tp: Any, value: Any) -> Any:
    try:
        return _convert(tp, value)
    except (_NotThisType, ValidationError, TypeError, ValueError):
        return value  # as recorded: better than a crash on replay


def _convert(tp: Any, value: Any) -> Any:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *metadata = get_args(tp)
        kept = [m for m in metadata if isinstance(m, StringConstraints)]
        if not kept or not isinstance(value, str):
            return _convert(base, value)
        # Keep what a constraint does to the value (strip, case), drop what it refuses.
        transform = StringConstraints(
            strip_whitespace=kept[0].strip_whitespace, to_upper=kept[0].to_upper, to_lower=kept[0].to_lower
        )
        return TypeAdapter(Annotated[str, transform]).validate_python(value)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise _NotThisType()
        return _construct(tp, value)
    if origin in _UNIONS:
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value)
            except (_NotThisType, ValidationError, TypeError, ValueError):
                continue
        raise _NotThisType()
    if origin is Literal:
        # A literal narrowed since: the recorded value, of its own type.
        return value
    if origin in _SEQUENCES and isinstance(value, (list, tuple, set, frozenset)):
        args = get_args(tp)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = [_lenient(a, v) for a, v in zip(args, value, strict=False)]
        else:
            items = [_lenient(args[0] if args else Any, v) for v in value]
        return origin(items)
    if origin is dict and isinstance(value, Mapping):
        key_type, value_type = get_args(tp) or (Any, Any)
        return {_lenient(key_type, k): _lenient(value_type, v) for k, v in value.items()}
    return TypeAdapter(tp).validate_python(value)


__all__ = ["recorded_form"]
