"""Column types every package's tables use."""

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.dialects.postgresql import JSONB

Json = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document: JSONB on PostgreSQL, JSON text on SQLite."""
BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit id (SQLite's INTEGER PRIMARY KEY is already 64-bit and autoincrements only so)."""
