"""Every SQL statement of oncelink, by entity: small async functions that take a
``Connection`` first and return dataclasses.

Functions that write expect to run inside ``Database.transaction()``; the caller decides
what belongs in one transaction. The SQL is written once for SQLite and PostgreSQL, with
``?`` placeholders; where the two differ, ``conn.dialect`` says which to use ("Dialect").
"""
