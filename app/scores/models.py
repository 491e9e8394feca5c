"""Tables of performance scoring (绩效考评)."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class ScoreWeightSet(Base):
    """A government's weights of the scoring indicators (domain.md §9, configurable), set by
    its supervision office head; without one the default set in `app.scores.rules` applies."""

    __tablename__ = "score_weight_sets"

    government_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    weights: Mapped[dict[str, float]] = mapped_column(Json)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
