"""Hostile or broken input refused as bad input, never as a crash: NUL characters, ids too big for the
database, and a database that cannot be reached.

- A NUL character (U+0000) in a web address is refused (400); in a form field the form says so beside
  the field (`forms.fields.refuse_null_characters`); and as a last guard nothing with a NUL in its text
  is ever written (PostgreSQL cannot store one; SQLite would, silently).
- An id in a web address is a whole number that fits the database's integer (`BoundedIntConverter`):
  a bigger one matches no page (404) instead of overflowing in PostgreSQL.
"""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from werkzeug.routing import IntegerConverter

NUL = "\x00"
LARGEST_ID = 2**31 - 1  # PostgreSQL integer; SQLite's is bigger, but a page should answer alike on both


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in a route: 0 to 2,147,483,647; anything bigger is no page at all (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


class NullCharacterRefused(ValueError):
    """Text with a NUL character was about to be saved; nothing is."""


def refuse_null_characters_in_the_address() -> None:
    """Before every request: a NUL in the path or the query string is bad input (400)."""
    if NUL in request.path or any(NUL in key or NUL in value for key, value in request.args.items(multi=True)):
        abort(400, description="The web address contains a character that cannot be used (a null character).")


@event.listens_for(OrmSession, "before_flush")
def _no_null_characters_saved(session, _flush_context, _instances):
    for row in list(session.new) + list(session.dirty):
        for name, value in vars(row).items():
            if isinstance(value, str) and NUL in value and not name.startswith("_"):
                raise NullCharacterRefused(f"{type(row).__name__}.{name} contains a null character")
