"""Reading JSON files people may have edited: every problem as one located line.

Project files and library blocks share this: a reader that walks a parsed
document and names where a value is wrong (``net.cnn.json: nodes[3]
(conv1).params.kernel_size: ...``), JSON parsing and file reading that turn
every failure into that same one-line error, and the check of a block's
parameters against its catalogue ``ParamSpec``s.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .catalogue import ParamError


class JsonFileError(ValueError):
    """A file that cannot be used; the message is one line for people."""


def type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


class JsonReader:
    """Walks a parsed document, raising ``error`` with the location of any problem."""

    def __init__(self, source: str, error: type[JsonFileError] = JsonFileError) -> None:
        self.source = source
        self.error = error

    def fail(self, where: str, what: str) -> JsonFileError:
        location = f"{self.source}: {where}: " if where else f"{self.source}: "
        return self.error(location + what)

    def get(self, mapping: dict, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
        if key not in mapping:
            if default is ...:
                raise self.fail(where, f"missing field {key!r}")
            return default
        value = mapping[key]
        wrong_bool = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
        if not isinstance(value, kind) or wrong_bool:
            expected = type_name(kind() if not isinstance(kind, tuple) else kind[0]())
            raise self.fail(f"{where}.{key}" if where else key,
                            f"expected {expected}, got {type_name(value)} {json.dumps(value)[:40]}")
        return value

    def check_params(self, spec, params: dict[str, Any], where: str) -> dict[str, Any]:
        """``params`` validated against the block's ParamSpecs (values as the catalogue stores them)."""
        checked = {}
        for key, value in params.items():
            try:
                checked[key] = spec.param(key).validate(value)
            except KeyError:
                known = ", ".join(p.name for p in spec.params) or "none"
                raise self.fail(f"{where}.params", f"{spec.title} has no parameter {key!r} (it has: {known})") from None
            except ParamError as error:
                raise self.fail(f"{where}.params.{key}", str(error)) from None
        return checked


def parse_json(text: str | bytes, source: str, what: str, error: type[JsonFileError] = JsonFileError) -> Any:
    """The parsed document; ``error`` (one line) when ``text`` is not JSON. ``what`` names the kind of file."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as problem:
        detail = f"line {problem.lineno}, column {problem.colno}: {problem.msg}" if isinstance(
            problem, json.JSONDecodeError) else str(problem)
        raise error(f"{source}: not a valid JSON file ({detail})") from None
    except RecursionError:
        raise error(f"{source}: the JSON is nested too deeply to be {what}") from None


def read_file_bytes(path: Path, max_bytes: int, what: str, error: type[JsonFileError] = JsonFileError) -> bytes:
    """The bytes of ``path``; ``error`` (one line) when it is missing, a folder, unreadable or too large."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path}: {size:,} bytes is too large for {what}")
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not {what}") from None
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror})") from None
