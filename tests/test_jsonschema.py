"""The JSON-schema subset behind `invalid_tool_call` and `invalid_structured_output`."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from langroute._jsonschema import schema_error

OBJ = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        # types, unions, nullable
        ({"type": "string"}, "x", None),
        ({"type": "string"}, 3, "$: expected string, got integer"),
        ({"type": "integer"}, 2.0, None),
        ({"type": "integer"}, 2.5, "$: expected integer, got number"),
        ({"type": "integer"}, True, "$: expected integer, got boolean"),
        ({"type": "number"}, 3, None),
        ({"type": "boolean"}, 0, "$: expected boolean, got integer"),
        ({"type": ["string", "null"]}, None, None),
        ({"type": ["string", "null"]}, 1, "$: expected string or null, got integer"),
        ({"type": "string", "nullable": True}, None, None),
        ({"type": "array"}, {}, "$: expected array, got object"),
        ({"type": "object"}, [], "$: expected object, got array"),
        # enum / const
        ({"enum": ["a", "b"]}, "b", None),
        ({"enum": ["a", "b"]}, "c", "$: not one of the 2 allowed values"),
        ({"enum": [1]}, True, "$: not one of the 1 allowed values"),
        ({"enum": [1]}, 1.0, None),
        ({"const": "tool"}, "tool", None),
        ({"const": "tool"}, "other", "$: not the required constant"),
        # objects
        (OBJ, {"city": "Oslo", "days": 3}, None),
        (OBJ, {"days": 3}, "$: missing required property 'city'"),
        (OBJ, {"city": "Oslo", "days": 9}, "$.days: above maximum 7"),
        (OBJ, {"city": "Oslo", "unit": "C"}, "$: unexpected property 'unit'"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, {"a": 1, "b": "x"}, "$.b: expected integer"),
        ({"type": "object", "minProperties": 1}, {}, "$: properties 0, below minProperties 1"),
        # arrays
        ({"type": "array", "items": {"type": "integer"}}, [1, 2, "3"], "$[2]: expected integer, got string"),
        ({"type": "array", "minItems": 2}, [1], "$: items 1, below minItems 2"),
        ({"type": "array", "maxItems": 1}, [1, 2], "$: items 2, above maxItems 1"),
        ({"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False}, [1, "a"], None),
        ({"prefixItems": [{"type": "integer"}, {"type": "string"}]}, [1, 2], "$[1]: expected string"),
        ({"prefixItems": [{"type": "integer"}], "items": False}, [1, 2], "$[1]: no value is allowed here"),
        ({"items": [{"type": "integer"}], "additionalItems": False}, [1, 2], "$[1]: no value is allowed here"),
        ({"uniqueItems": True}, [1, {"a": [1]}, {"a": [1.0]}], "$: items are not unique ([2] repeats"),
        ({"uniqueItems": True}, [1, True, "1"], None),
        # strings and numbers
        ({"type": "string", "minLength": 2}, "a", "$: length 1, below minLength 2"),
        ({"type": "string", "maxLength": 2}, "abc", "$: length 3, above maxLength 2"),
        ({"exclusiveMinimum": 0}, 0, "$: not above exclusiveMinimum 0"),
        ({"exclusiveMaximum": 1}, 1, "$: not below exclusiveMaximum 1"),
        ({"minimum": 0, "exclusiveMinimum": True}, 0, "$: not above exclusiveMinimum 0"),  # draft 4
        ({"minimum": 0, "exclusiveMinimum": False}, 0, None),
        ({"multipleOf": 0.1}, 0.3, None),
        ({"multipleOf": 3}, 10, "$: not a multiple of 3"),
        ({"minimum": 0}, "a string is not a number", None),
        # combinators
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "x", None),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, [], "$: matches none of the 2 anyOf schemas"),
        ({"anyOf": [{"type": "string", "minLength": 3}, {"type": "null"}]}, "ab", "$: length 2, below minLength 3"),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, "$: matches 2 of the 2 oneOf schemas"),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, "x", None),
        ({"allOf": [{"type": "integer"}, {"minimum": 5}]}, 4, "$: below minimum 5"),
        ({"not": {"type": "null"}}, None, "$: matches a schema it must not match"),
        # $ref
        ({"$defs": {"D": {"type": "integer"}}, "$ref": "#/$defs/D"}, "x", "$: expected integer"),
        ({"definitions": {"D": {"type": "integer"}}, "items": {"$ref": "#/definitions/D"}}, [1, "x"], "$[1]: expected"),
        ({"$ref": "https://example.com/schema.json"}, "anything", None),
        ({"$ref": "#/$defs/missing"}, "anything", None),
        # ignored keywords: pattern and format are never run on model output
        ({"type": "string", "pattern": "^(a+)+$", "format": "email"}, "a" * 30 + "b", None),
        ({"type": "function"}, {"a": 1}, None),  # not a JSON type: cannot be checked
        ({"type": ["function", "string"]}, 1, "$: expected string, got integer"),
        (True, 1, None),
        (False, 1, "$: no value is allowed here"),
    ],
)
def test_schema_subset(schema, value, expected):
    got = schema_error(value, schema)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert got.startswith(expected), got


def test_recursive_ref_follows_the_value_and_a_ref_cycle_terminates():
    tree = {
        "$defs": {
            "Node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}
        },
        "$ref": "#/$defs/Node",
    }
    assert (
        schema_error({"kids": [{"kids": []}, {"kids": [{"kids": 1}]}]}, tree)
        == "$.kids[1].kids[0].kids: expected array, got integer"
    )
    cycle = {"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}
    assert schema_error(1, cycle) is None


def test_messages_never_quote_values_or_odd_keys():
    secret = "my password is hunter2"
    assert "hunter2" not in (schema_error({"city": secret}, {"properties": {"city": {"type": "integer"}}}) or "")
    got = schema_error({secret: 1}, {"type": "object", "additionalProperties": False})
    assert got == "$: unexpected property '<key>'"
    got = schema_error({secret: "x"}, {"type": "object", "additionalProperties": {"type": "integer"}})
    assert got == "$.<key>: expected integer, got string"


class Address(BaseModel):
    city: str = Field(min_length=2)
    zip: str | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    kind: Literal["staff", "guest"] = "guest"
    address: Address
    tags: set[str] = set()
    pair: tuple[int, str] | None = None


GOOD = {"name": "Ada", "age": 36, "address": {"city": "London"}, "tags": ["a"], "pair": [1, "x"]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        ({"age": -1}, "$.age: below minimum 0"),
        ({"age": "36"}, "$.age: expected integer, got string"),
        ({"kind": "admin"}, "$.kind: not one of the 2 allowed values"),
        ({"address": {"city": "L"}}, "$.address.city: length 1, below minLength 2"),
        ({"address": {}}, "$.address: missing required property 'city'"),
        ({"address": {"city": "London", "zip": 7}}, "$.address.zip: expected string, got integer"),
        ({"pair": [1, 2]}, "$.pair[1]: expected string, got integer"),
    ],
)
def test_pydantic_schema_agrees_with_pydantic_strict_json(change, expected):
    """On pydantic's own schema ($defs and $ref included) the validator agrees with pydantic's strict JSON mode."""
    value = {**GOOD, **change}
    got = schema_error(value, Person.model_json_schema())
    try:
        Person.model_validate_json(json.dumps(value), strict=True)
        pydantic_ok = True
    except ValueError:
        pydantic_ok = False
    assert (got is None) == pydantic_ok
    if expected is not None:
        assert got is not None
        assert got.startswith(expected), got


def test_pydantic_set_becomes_unique_items():
    got = schema_error({**GOOD, "tags": ["a", "a"]}, Person.model_json_schema())
    assert got == "$.tags: items are not unique ([1] repeats an earlier item)"


def test_langchain_and_llama_index_tool_schemas():
    utils = pytest.importorskip("langchain_core.utils.function_calling")
    tools = pytest.importorskip("llama_index.core.tools")

    def get_weather(city: str, days: int = 1) -> str:
        """Forecast for a city."""
        return city * days

    for schema in (
        utils.convert_to_openai_tool(get_weather)["function"]["parameters"],
        utils.convert_to_openai_tool(Person)["function"]["parameters"],
        tools.FunctionTool.from_defaults(get_weather).metadata.get_parameters_dict(),
    ):
        first = "name" if "name" in schema["properties"] else "city"
        assert schema_error({} if first == "city" else {"age": 1}, schema) is not None
    lc = utils.convert_to_openai_tool(get_weather)["function"]["parameters"]
    assert schema_error({"city": "Oslo"}, lc) is None
    assert schema_error({"city": "Oslo", "days": "two"}, lc) == "$.days: expected integer, got string"
    li = tools.FunctionTool.from_defaults(get_weather).metadata.get_parameters_dict()
    assert schema_error({"city": "Oslo", "days": 2}, li) is None
    assert schema_error({"days": 2}, li) == "$: missing required property 'city'"
