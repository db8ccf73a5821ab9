"""Reading JSON documents (instances, plans, scenario specs) without surprises.

Python's ``json`` module accepts what JSON does not (NaN, Infinity, lone UTF-16 surrogates
such as ``"\\ud800"``) and fails with a ``RecursionError`` or a ``ValueError`` about
``sys.set_int_max_str_digits`` on deeply nested arrays or very long integers. Every such
document is reported here as an :class:`InvalidDocument` listing its problems with JSON
paths (spec, "Field rules": input errors are reported with their path, nothing is solved).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.schema import Problem

MAX_DEPTH = 32
"""Most levels of nested arrays and objects in a document (an instance needs 5)."""

MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
"""Longest integer literal Python's ``json`` module converts."""

NOT_FINITE = "must be a finite number (not NaN, Infinity, or beyond ±1.8e308 such as 1e400)"
LONE_SURROGATE = "contains a lone UTF-16 surrogate (an escape such as \\ud800), not a character"
DUPLICATE_KEY = "appears twice in this object (JSON readers would keep only the last one)"
TOO_DEEP = f"nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)"


class _Repeated(dict[str, Any]):
    """An object read from JSON whose keys repeat (``repeated`` lists them)."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s object hook: a plain dict, or a :class:`_Repeated` when a key repeats."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    repeated = _Repeated(out)
    seen: set[str] = set()
    repeated.repeated = []
    for key, _ in pairs:
        if key in seen:
            repeated.repeated.append(key)
        seen.add(key)
    return repeated


class InvalidDocument(ValueError):
    """A document with problems; ``problems`` lists them with JSON paths, ``data`` is the
    parsed document when there was one."""

    noun = "input error(s)"

    def __init__(self, problems: Sequence[Problem], data: Any = None) -> None:
        self.problems = list(problems)
        self.data = data
        lines = "; ".join(f"{p.path}: {p.message}" for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} {self.noun}: {lines}{more}")


Location = tuple[int | str, ...]
"""Where a value is in a parsed document: object keys and array indexes from the root."""

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def json_path(loc: Iterable[int | str]) -> str:
    """``("tasks", 2, "due")`` -> ``"$.tasks[2].due"``.

    Keys that are not plain names (a skill called ``c++`` or ``node.js``) are quoted:
    ``$.specialists[0].skills['node.js']``.
    """
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Unsound:
    """Where a parsed document is not sound JSON (see :func:`unsound_values`)."""

    non_finite: list[Location] = field(default_factory=list)
    """Locations of NaN and infinite numbers."""
    surrogates: list[Location] = field(default_factory=list)
    """Locations of strings holding lone surrogates."""
    repeated: list[Location] = field(default_factory=list)
    """Locations of keys given twice in their object (as :func:`parse_json` reads them)."""
    fatal: Problem | None = None
    """A problem that stops reading: nesting deeper than :data:`MAX_DEPTH`, or an object
    key holding a lone surrogate (its path could not even be written)."""

    def problems(self, *, non_finite: bool = True) -> list[Problem]:
        """The problems of the values found (the fatal one aside): keys given twice, NaN
        and infinite numbers (unless ``non_finite`` is false), lone surrogates."""
        found = [(loc, DUPLICATE_KEY) for loc in self.repeated]
        found += [(loc, NOT_FINITE) for loc in self.non_finite] if non_finite else []
        found += [(loc, LONE_SURROGATE) for loc in self.surrogates]
        return [Problem(path=json_path(loc), message=message) for loc, message in found]


def unsound_values(data: Any) -> Unsound:
    """Where ``data`` (parsed JSON) is not sound JSON, walked without recursion (nothing is
    walked after a fatal problem)."""
    found = Unsound()
    stack: list[tuple[Any, Location]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, dict | list):
            if len(loc) >= MAX_DEPTH:
                found.fatal = Problem(path=json_path(loc), message=TOO_DEEP)
                break
            if isinstance(value, list):
                stack.extend((item, (*loc, i)) for i, item in reversed(list(enumerate(value))))
                continue
            if not all(isinstance(key, str) and _is_text(key) for key in value):
                found.fatal = Problem(path=json_path(loc), message=f"a key {LONE_SURROGATE}")
                break
            stack.extend((item, (*loc, key)) for key, item in reversed(value.items()))
            if isinstance(value, _Repeated):
                found.repeated += [(*loc, key) for key in value.repeated]
        elif isinstance(value, float) and not math.isfinite(value):
            found.non_finite.append(loc)
        elif isinstance(value, str) and not _is_text(value):
            found.surrogates.append(loc)
    return found  # (in document order: children are stacked last first)


def parse_json(raw: str | bytes, *, finite_only: bool = False) -> Any:
    """Parse a JSON document (bytes are UTF-8, a byte-order mark allowed).

    Raises
    ------
    InvalidDocument
        Bytes that are not UTF-8, malformed JSON (with line and column), integers longer
        than :data:`MAX_INT_DIGITS`, nesting deeper than :data:`MAX_DEPTH`, a key given
        twice in one object, lone surrogates,
        and, with ``finite_only``, NaN and Infinity (otherwise left for validation to report
        together with the document's other problems).
    """

    def fail(message: str, path: str = "$") -> InvalidDocument:
        return InvalidDocument([Problem(path=path, message=message)])

    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise fail(f"not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(raw, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        message = (
            f"malformed JSON at line {error.lineno}, column {error.colno} "
            f"(character {error.pos}): {error.msg.lower().removesuffix(' at')}"
        )
        raise fail(message) from None
    except RecursionError:
        raise fail(TOO_DEEP) from None
    except ValueError as error:  # an integer literal beyond sys.get_int_max_str_digits()
        if "digits" not in str(error):
            raise
        raise fail(f"a number has more than {MAX_INT_DIGITS:,} digits") from None
    found = unsound_values(data)
    if found.fatal is not None:
        raise InvalidDocument([found.fatal])
    problems = found.problems(non_finite=finite_only)
    if problems:
        raise InvalidDocument(problems)
    return data


def read_json(path: str | Path) -> Any:
    """Read and parse a JSON file (see :func:`parse_json`).

    Raises
    ------
    InvalidDocument
        The file cannot be read, or :func:`parse_json` rejects it; messages name the file.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidDocument(
            [Problem(path="$", message=f"cannot read {path}: {reason}")]
        ) from None
    try:
        return parse_json(raw)
    except InvalidDocument as error:
        name = Path(path).name
        problems = [
            Problem(path=p.path, message=f"{name}: {p.message}") if p.path == "$" else p
            for p in error.problems
        ]
        raise InvalidDocument(problems) from None


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (links, ``..`` and hard links resolved)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
