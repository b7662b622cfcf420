"""Generator settings: one frozen object, so a manifest can record exactly what produced a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 42
    members: int = 2000
    months: int = 24
    start: date = date(2024, 1, 1)
    # Share of rows per table that get a defect (split evenly across the table's kinds).
    defect_rate: float = 0.01

    @property
    def end(self) -> date:
        """First day after the simulated period."""
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + y, m + 1, 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0, 0))

    @property
    def extract_at(self) -> datetime:
        """The last daily export runs at 02:00 on the day after the period."""
        return datetime.combine(self.end, time(2, 0))

    @property
    def last_moment(self) -> datetime:
        """Nothing happens later than this: three hours before the last export, so every
        purchase, reversal, redemption and member change of the period is in some export."""
        return self.extract_at - timedelta(hours=3)

    @property
    def last_second(self) -> int:
        """last_moment as seconds from the start of the period (the simulation's clock)."""
        return int((self.last_moment - self.start_at).total_seconds())

    def month_starts(self) -> list[date]:
        out, d = [], self.start
        while d < self.end:
            out.append(d)
            d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> GeneratorConfig:
        """The config a manifest recorded (to_dict's output)."""
        return cls(
            seed=d["seed"],
            members=d["members"],
            months=d["months"],
            start=date.fromisoformat(d["start"]),
            defect_rate=d["defect_rate"],
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["end"] = self.end.isoformat()
        return d
