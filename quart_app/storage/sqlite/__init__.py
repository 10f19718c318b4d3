"""The SQLite backend: one file shared by the serving processes of one machine."""
