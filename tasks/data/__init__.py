"""Keeping and moving the data (issue 11): online SQLite backups and restores, pg_dump for
PostgreSQL, and `move-to`, which copies a SQLite installation into PostgreSQL.

These copy rows as they are stored; they are not business writes, so they go around the
rules path (nothing is created, changed or approved, and no audit row is written)."""
