"""Where oncelink keeps its data: the base every backend shares (``base``), the SQL by
entity (``queries``), the SQLite and PostgreSQL backends, and the one ``opener`` that picks
a backend for ``ONCELINK_DATABASE``."""
