"""A small JSON-schema validator for tool arguments and structured output (private; used by `langroute.checks`).

It covers the subset that pydantic, LangChain (`convert_to_openai_tool`, `convert_to_json_schema`) and LlamaIndex
(`FunctionTool.metadata.get_parameters_dict()`) generate, so langroute needs no ``jsonschema`` dependency:

- ``type`` (a name or a list of names), OpenAPI ``nullable``; ``enum``, ``const``
- objects: ``properties``, ``required``, ``additionalProperties`` (bool or schema), ``minProperties`` /
  ``maxProperties``
- arrays: ``items`` (schema or bool), ``prefixItems`` (tuples), ``minItems`` / ``maxItems``, ``uniqueItems``
- strings: ``minLength`` / ``maxLength``; numbers: ``minimum`` / ``maximum``, ``exclusiveMinimum`` /
  ``exclusiveMaximum`` (draft 4 booleans and draft 6+ numbers), ``multipleOf``
- ``anyOf``, ``oneOf``, ``allOf``, ``not``; ``$ref`` to ``#``, ``#/$defs/...`` or ``#/definitions/...``

Not checked (anything not listed above is ignored, so a schema using it still validates what it can):
``pattern`` and ``patternProperties`` (a user pattern run on model output can backtrack for seconds), ``format``,
``if``/``then``/``else``, ``dependentRequired``/``dependentSchemas``, ``contains``, ``propertyNames``,
``unevaluated*``, remote or ``$id``-relative ``$ref`` (an unresolvable ``$ref`` accepts anything), and values
nested more than 100 schema levels deep (a ``$ref`` cycle stops there too).

Error messages name the path and the rule, never a value from the instance (it may echo the prompt); object keys
that are not plain identifiers are shown as ``<key>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["schema_error"]

_MAX_DEPTH: Final = 100
_TYPE_NAMES: Final = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_SAFE_KEY: Final = re.compile(r"[A-Za-z_][\w\-]{0,63}")
_JSON_TYPES: Final = {
    dict: "object",
    list: "array",
    tuple: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def schema_error(value: Any, schema: Mapping[str, Any]) -> str | None:
    """Return why `value` does not validate against `schema`, or ``None`` when it does (or cannot be checked).

    ```python
    schema_error({"city": 3}, {"type": "object", "properties": {"city": {"type": "string"}}})
    # "$.city: expected string, got integer"
    ```
    """
    return _Validator(schema).error(value, schema, "$", 0)


def _type_of(value: Any) -> str:
    name = _JSON_TYPES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence):
        return "array"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    actual = _type_of(value)
    if actual == name:
        return True
    if name == "number":
        return actual == "integer"
    if name == "integer":
        return actual == "number" and math.isfinite(value) and float(value).is_integer()
    return False


def _name(key: object) -> str:
    """An object key as shown in a message: plain identifiers as they are, anything else as ``<key>``."""
    return key if isinstance(key, str) and _SAFE_KEY.fullmatch(key) else "<key>"


def _canonical(value: Any) -> object:
    """A hashable form of a JSON value under JSON equality (``1 == 1.0``, ``True != 1``), for ``uniqueItems``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, Mapping):
        return ("object", frozenset((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(_canonical(v) for v in value))
    return ("other", id(value))


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _Validator:
    __slots__ = ("root",)

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, ref: str) -> Mapping[str, Any] | bool | None:
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            return None
        node: Any = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, (Mapping, bool)) else None

    def error(self, value: Any, schema: Mapping[str, Any] | bool, path: str, depth: int) -> str | None:
        if schema is True or schema is False:
            return None if schema else f"{path}: no value is allowed here"
        if not isinstance(schema, Mapping):
            return None
        if depth > _MAX_DEPTH:  # a deeper value (or a $ref cycle) is not checked further
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(ref)
            if target is not None:
                problem = self.error(value, target, path, depth + 1)
                if problem:
                    return problem
        if value is None and schema.get("nullable") is True:
            return None
        problem = self._type_and_values(value, schema, path)
        if problem:
            return problem
        problem = self._combinators(value, schema, path, depth)
        if problem:
            return problem
        if isinstance(value, Mapping):
            return self._object(value, schema, path, depth)
        if isinstance(value, (list, tuple)):
            return self._array(value, schema, path, depth)
        if isinstance(value, str):
            return _string(value, schema, path)
        if _is_type(value, "number"):
            return _number(value, schema, path)
        return None

    def _type_and_values(self, value: Any, schema: Mapping[str, Any], path: str) -> str | None:
        wanted = schema.get("type")
        if isinstance(wanted, str):
            wanted = [wanted]
        if isinstance(wanted, list):
            wanted = [t for t in wanted if t in _TYPE_NAMES]  # an unknown type name cannot be checked
        if wanted and not any(_is_type(value, t) for t in wanted):
            return f"{path}: expected {' or '.join(map(str, wanted))}, got {_type_of(value)}"
        enum = schema.get("enum")
        if isinstance(enum, list) and not any(_equal(value, option) for option in enum):
            return f"{path}: not one of the {len(enum)} allowed values"
        if "const" in schema and not _equal(value, schema["const"]):
            return f"{path}: not the required constant"
        return None

    def _combinators(self, value: Any, schema: Mapping[str, Any], path: str, depth: int) -> str | None:
        for sub in schema.get("allOf") or ():
            problem = self.error(value, sub, path, depth + 1)
            if problem:
                return problem
        any_of = schema.get("anyOf")
        if any_of:
            problems = [self.error(value, sub, path, depth + 1) for sub in any_of]
            if all(problems):
                real = [p for sub, p in zip(any_of, problems, strict=True) if sub != {"type": "null"}]
                if len(real) == 1:  # Optional[X]: say what is wrong with the X
                    return real[0]
                return f"{path}: matches none of the {len(any_of)} anyOf schemas"
        one_of = schema.get("oneOf")
        if one_of:
            matches = sum(self.error(value, sub, path, depth + 1) is None for sub in one_of)
            if matches != 1:
                return f"{path}: matches {matches} of the {len(one_of)} oneOf schemas (expected exactly 1)"
        if "not" in schema and self.error(value, schema["not"], path, depth + 1) is None:
            return f"{path}: matches a schema it must not match"
        return None

    def _object(self, value: Mapping[str, Any], schema: Mapping[str, Any], path: str, depth: int) -> str | None:
        for name in schema.get("required") or ():
            if name not in value:
                return f"{path}: missing required property {_name(name)!r}"
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            sub = properties.get(key) if isinstance(properties, Mapping) else None
            if sub is None:
                if extra is False:
                    return f"{path}: unexpected property {_name(key)!r}"
                sub = extra
            problem = self.error(item, sub, f"{path}.{_name(key)}", depth + 1)
            if problem:
                return problem
        return _bounds(len(value), schema, "minProperties", "maxProperties", "properties", path)

    def _array(self, value: Sequence[Any], schema: Mapping[str, Any], path: str, depth: int) -> str | None:
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", True)
        if isinstance(items, list):  # draft 4-2019 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else items
            problem = self.error(item, sub, f"{path}[{i}]", depth + 1)
            if problem:
                return problem
        if schema.get("uniqueItems") is True:
            seen: set[object] = set()
            for i, item in enumerate(value):
                key = _canonical(item)
                if key in seen:
                    return f"{path}: items are not unique ([{i}] repeats an earlier item)"
                seen.add(key)
        return _bounds(len(value), schema, "minItems", "maxItems", "items", path)


def _bounds(size: int, schema: Mapping[str, Any], low: str, high: str, what: str, path: str) -> str | None:
    lo, hi = schema.get(low), schema.get(high)
    if _is_type(lo, "number") and size < lo:
        return f"{path}: {what} {size}, below {low} {lo}"
    if _is_type(hi, "number") and size > hi:
        return f"{path}: {what} {size}, above {high} {hi}"
    return None


def _string(value: str, schema: Mapping[str, Any], path: str) -> str | None:
    return _bounds(len(value), schema, "minLength", "maxLength", "length", path)


def _number(value: float, schema: Mapping[str, Any], path: str) -> str | None:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if xlo is True:  # draft 4: a flag on minimum
        lo, xlo = None, lo
    if xhi is True:
        hi, xhi = None, hi
    if _is_type(lo, "number") and value < lo:
        return f"{path}: below minimum {lo}"
    if _is_type(hi, "number") and value > hi:
        return f"{path}: above maximum {hi}"
    if _is_type(xlo, "number") and value <= xlo:
        return f"{path}: not above exclusiveMinimum {xlo}"
    if _is_type(xhi, "number") and value >= xhi:
        return f"{path}: not below exclusiveMaximum {xhi}"
    step = schema.get("multipleOf")
    if _is_type(step, "number") and step > 0:
        if isinstance(value, int) and isinstance(step, int):
            exact = value % step == 0
        else:
            quotient = value / step
            exact = not math.isfinite(quotient) or math.isclose(quotient, round(quotient), rel_tol=1e-9, abs_tol=1e-9)
        if not exact:
            return f"{path}: not a multiple of {step}"
    return None
