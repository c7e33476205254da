"""The net under every field check: no text that a database cannot store is sent.

PostgreSQL refuses a NUL character in a text value (psycopg raises
``DataError``, which would be a 500); SQLite stores it, so the same input
would be refused on one database and kept on the other. Lone surrogates
cannot be encoded as UTF-8 by either driver. Field checks
(``rostra.text.check_text`` and the like) refuse these with a message about
the field; this guard, an engine event installed by ``make_engine`` on both
databases, catches any that a check missed — a JSON field, a query
parameter, a header, a signed claim, a job's payload — before the statement
leaves, and raises 422 ``invalid_characters`` naming the column it was for.

The exception travels like any other raised inside the unit of work: the
session rolls back and the client gets the JSON error; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExecutionContext

from rostra.errors import InvalidCharacters

# NUL, and the lone surrogates that a JSON "\ud800" escape can produce.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# "email_1", "jti_2": SQLAlchemy's names for a column's second, third… bind.
_BIND_SUFFIX = re.compile(r"(?:_\d+)+$")


def install(engine: Engine) -> None:
    """Refuse unstorable text on every statement of ``engine``."""
    event.listen(engine, "before_cursor_execute", _refuse_unstorable)


def _refuse_unstorable(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    for name, value in _parameters(parameters, context):
        if _holds_unstorable(value):
            raise _refusal(name)


def _parameters(parameters: Any, context: ExecutionContext | None) -> Iterator[tuple[str, Any]]:
    """(name, value) of every value a statement sends.

    For a compiled statement the values are read before the types turn them
    into driver values, keyed by bind name, whatever the driver's parameter
    style (SQLite's are positional, psycopg's named): that names the column
    on both databases, and a JSON column's value is still the structure that
    its strings are in. A statement given as SQL text has only its driver
    parameters, which name nothing.
    """
    compiled_parameters = getattr(context, "compiled_parameters", None)
    if getattr(context, "compiled", None) is not None and compiled_parameters:
        for row in compiled_parameters:
            yield from row.items()
        return
    rows = parameters if isinstance(parameters, list) else [parameters]
    for row in rows:
        if isinstance(row, Mapping):
            yield from ((str(k), v) for k, v in row.items())
        elif isinstance(row, Sequence) and not isinstance(row, str | bytes):
            yield from (("", v) for v in row)


def _holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, Mapping):
        return any(_holds_unstorable(k) or _holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_unstorable(v) for v in value)
    return False


def _refusal(bind_name: str) -> InvalidCharacters:
    field = _BIND_SUFFIX.sub("", bind_name)
    # "param_1" is SQLAlchemy's name for a value compared with no column.
    if not field.isidentifier() or field == "param":
        return InvalidCharacters(
            "", "A value contains a NUL or another character that cannot be stored."
        )
    return InvalidCharacters(
        field, f"'{field}' contains a NUL or another character that cannot be stored."
    )
