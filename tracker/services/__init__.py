"""Use cases over the database. Services own transactions; they never import HTTP types."""
