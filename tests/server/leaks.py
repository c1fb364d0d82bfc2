"""What a response must never show a client: driver, ORM or SQL internals."""

from __future__ import annotations

import re

LEAKS = re.compile(
    r"sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg|Traceback|File \""
    r"|SELECT |INSERT |UPDATE |DELETE FROM",
    re.I,
)
