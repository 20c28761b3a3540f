"""Configuration sections: one frozen dataclass per `[table]` of chancery.toml, parsed from its field types.

A section declares its TOML table name and the commented text it adds to a new chancery.toml; its fields
(with defaults) are read from that table, each checked against its annotated type, so adding a setting is
adding a field. Unknown keys are refused, so a misspelt setting is an error at start, not silently ignored.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Self, Union, get_args, get_origin


class ConfigError(ValueError):
    """A setting in chancery.toml is unknown or has the wrong type."""


@dataclasses.dataclass(frozen=True)
class Section:
    TABLE: ClassVar[str] = ""
    TEMPLATE: ClassVar[str] = ""

    @classmethod
    def from_table(cls, table: Any) -> Self:
        if not isinstance(table, dict):
            raise ConfigError(f"[{cls.TABLE}] must be a table")
        hints = typing.get_type_hints(cls)
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(table) - fields)
        if unknown:
            raise ConfigError(f"[{cls.TABLE}] has unknown settings: {', '.join(unknown)}")
        values = {name: coerce(f"{cls.TABLE}.{name}", table[name], hints[name]) for name in table}
        return cls(**values)


def coerce(where: str, value: Any, annotation: Any) -> Any:
    """`value` from TOML as `annotation` (bool, int, float, str, None unions, tuple[X, ...], dict[str, X])."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(where, value, option)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where} has the wrong type")
    if origin is tuple:
        item_type = get_args(annotation)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        return tuple(coerce(f"{where}[{i}]", item, item_type) for i, item in enumerate(value))
    if origin is dict:
        key_type, item_type = get_args(annotation)
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return {coerce(where, k, key_type): coerce(f"{where}.{k}", v, item_type) for k, v in value.items()}
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string")
        return value
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation.from_table(value)
    raise ConfigError(f"{where}: unsupported setting type {annotation!r}")
