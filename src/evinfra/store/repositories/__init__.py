"""Repositories: SQL in, domain objects out. They never commit; the unit of work does."""
