"""The PostgreSQL backend: one database shared by any number of instances."""
