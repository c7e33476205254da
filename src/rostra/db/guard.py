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
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.engine.default import DefaultExecutionContext

from rostra.errors import InvalidCharacters

# "email_1", "jti_2": SQLAlchemy's names for a column's second, third… bind.
_BIND_SUFFIX = re.compile(r"(?:_\d+)+$")
# A tuple, not a union: isinstance() with a tuple is the faster of the two.
_CONTAINERS = (list, tuple, set, frozenset)


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
    """Raise 422 ``invalid_characters`` for the first unstorable value.

    For a compiled statement the values are read before the types turn them
    into driver values, keyed by bind name, whatever the driver's parameter
    style (SQLite's are positional, psycopg's named): that names the column
    on both databases, and a JSON column's value is still the structure that
    its strings are in. A statement given as SQL text has only its driver
    parameters, which name nothing. This runs for every statement, so it
    keeps to plain loops and exact type checks.
    """
    # Both dialects' contexts are default ones; the interface lacks the values.
    if isinstance(context, DefaultExecutionContext) and context.compiled is not None:
        for row in context.compiled_parameters:
            for name, value in row.items():
                if _holds_unstorable(value):
                    raise _refusal(name)
        return
    for row in parameters if isinstance(parameters, list) else [parameters]:
        values = row.values() if isinstance(row, dict) else row
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            continue
        if any(_holds_unstorable(v) for v in values):
            raise _refusal("")


def _holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        # Each step is far faster than a regular expression over the text.
        if "\x00" in value:
            return True
        if value.isascii():
            return False
        try:
            value.encode("utf-8")  # fails on a lone surrogate only
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_holds_unstorable(k) or _holds_unstorable(v) for k, v in value.items())
    if isinstance(value, _CONTAINERS):
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
