"""Concierge's persistence layer: SQLAlchemy models, repositories, unit of work.

Nothing here knows about GraphQL."""
