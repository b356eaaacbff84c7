"""Reading JSON files people may have edited: every problem as one located line.

Project files and library blocks share this: a reader that walks a parsed
document and names where a value is wrong (``net.cnn.json: nodes[3]
(conv1).params.kernel_size: ...``), JSON parsing and file reading that turn
every failure into that same one-line error, and the check of a block's
parameters against its catalogue ``ParamSpec``s.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from .catalogue import ParamError
from .reading import read_limited


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


MAX_DIGITS = 20
"""The longest whole number a file may hold: more than any count or seed (2**64 has 20 digits), and far
below the 4,300 digits at which Python refuses to convert one."""

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_ESCAPED_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _BadNumber(ValueError):
    pass


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _BadNumber(f"the number {text[:12]}… has {len(text.lstrip('-')):,} digits, more than the "
                         f"{MAX_DIGITS} a value may have")
    return int(text)


def _real_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"the number {text[:12]}{'…' if len(text) > 12 else ''} is too large")
    return value


def _constant(name: str) -> float:
    raise _BadNumber(f"{name} is not a number JSON allows")


def parse_json(text: str | bytes, source: str, what: str, error: type[JsonFileError] = JsonFileError) -> Any:
    """The parsed document; ``error`` (one line) when ``text`` is not JSON, holds a number too long to be a
    value (or NaN/Infinity), or text that is not valid Unicode. ``what`` names the kind of file."""
    try:
        document = json.loads(text, parse_int=_whole_number, parse_float=_real_number, parse_constant=_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as problem:
        detail = f"line {problem.lineno}, column {problem.colno}: {problem.msg}" if isinstance(
            problem, json.JSONDecodeError) else str(problem)
        raise error(f"{source}: not a valid JSON file ({detail})") from None
    except _BadNumber as problem:
        raise error(f"{source}: not a valid JSON file ({problem})") from None
    except RecursionError:
        raise error(f"{source}: the JSON is nested too deeply to be {what}") from None
    if _may_hold_surrogates(text):
        where = _lone_surrogate(document)
        if where is not None:
            location, character = where
            raise error(f"{source}: {location}: the text holds an invalid character (a lone UTF-16 surrogate "
                        f"\\u{ord(character):04x}, not a letter of any alphabet); retype it")
    return document


def _may_hold_surrogates(text: str | bytes) -> bool:
    """Whether the parsed text can hold a lone surrogate: only a ``\\udXXX`` escape (or, in text handed over
    as ``str``, the character itself) can produce one, so most files skip the walk."""
    if isinstance(text, (bytes, bytearray)):
        return _ESCAPED_SURROGATE_BYTES.search(text) is not None
    return _ESCAPED_SURROGATE.search(text) is not None or _SURROGATE.search(text) is not None


def _lone_surrogate(document: Any) -> tuple[str, str] | None:
    """(where, the character) of the first lone surrogate in a key or text of ``document``, else None."""
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found:
                return where or "the document", found.group()
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                found = _SURROGATE.search(key)
                if found:
                    return f"{where}.{key!a}" if where else f"{key!a}", found.group()
                pending.append((item, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            pending.extend((item, f"{where}[{index}]") for index, item in reversed(list(enumerate(value))))
    return None


def read_file_bytes(path: Path, max_bytes: int, what: str, error: type[JsonFileError] = JsonFileError) -> bytes:
    """The bytes of ``path`` through the one door (``reading.read_limited``): ``error`` (one line) when it is
    missing, a folder, a pipe or device, unreadable or too large."""
    return read_limited(path, what, max_bytes, error)
