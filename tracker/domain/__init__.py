"""Pure domain rules: no I/O, no web, no database."""
