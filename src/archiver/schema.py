"""Load the JSON Schemas shipped in ``archiver/schemas`` and validate records against them.

Validation collects every error (never only the first), each as a readable line with the
JSON path of the offending value::

    >>> from archiver.schema import validate
    >>> validate({"id": 1}, "article")          # doctest: +SKIP
    ['$: 'url' is a required property', '$.id: 1 is not of type 'string'', ...]
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from archiver.errors import SchemaError, ValidationError

__all__ = ["check", "load_schema", "schema_names", "validate", "validator"]


def schema_names() -> list[str]:
    """Names of the shipped schemas (``article`` for ``article.schema.json``)."""
    folder = resources.files("archiver") / "schemas"
    return sorted(
        p.name.removesuffix(".schema.json")
        for p in folder.iterdir()
        if p.name.endswith(".schema.json")
    )


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema ``name`` (``article`` → ``schemas/article.schema.json``)."""
    path = resources.files("archiver") / "schemas" / f"{name}.schema.json"
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"no schema named {name!r} (looked for {path})") from exc
    except json.JSONDecodeError as exc:
        raise SchemaError(f"schema {name!r} is not valid JSON: {exc}") from exc
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"schema {name!r} is not a valid JSON Schema: {exc.message}") from exc
    return schema


@cache
def validator(name: str) -> Validator:
    """A ready validator for schema ``name`` (formats such as date-time are checked)."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(record: Any, name: str) -> list[str]:
    """Every error of ``record`` against schema ``name``, as ``"$.path: message"`` lines.

    An empty list means the record is valid.
    """
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]


def check(record: Any, name: str, *, record_id: str | None = None) -> None:
    """Raise :class:`ValidationError` with every error if ``record`` is not valid."""
    errors = validate(record, name)
    if errors:
        raise ValidationError(
            f"record does not validate against {name}.schema.json",
            errors=errors,
            record_id=record_id,
        )
