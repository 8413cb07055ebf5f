"""The business store: SQLAlchemy models, the database, and what actions ask of it."""
