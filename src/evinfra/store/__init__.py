"""Persistence: SQLAlchemy 2 row classes, Alembic migrations, repositories and the unit of work."""
