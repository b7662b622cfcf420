"""Generator settings: one frozen object, so a manifest can record exactly what produced a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

# Behaviour changes the generator can inject from a month on (GeneratorConfig.shift). An
# economic shock hits a random half of the members, whatever their history: they buy at 30 %
# of their rate and their monthly churn hazard rises (+1.5 on the logit). Activity features
# move, and churn becomes less predictable from the past: the drift monitoring must see both.
SHIFTS = {"economic_shock": {"share": 0.5, "rate_factor": 0.3, "hazard_logit": 1.5}}


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 42
    members: int = 2000
    months: int = 24
    start: date = date(2024, 1, 1)
    # Share of rows per table that get a defect (split evenly across the table's kinds).
    defect_rate: float = 0.01
    # A behaviour change from a month on, "economic_shock:YYYY-MM" (behaviour.SHIFTS): the
    # drift the monitoring must catch. None: the process never changes.
    shift: str | None = None

    def __post_init__(self) -> None:
        if self.shift is not None:
            self.shift_start  # noqa: B018  (fails early on a bad value)

    @property
    def shift_kind(self) -> str | None:
        return self.shift.partition(":")[0] if self.shift else None

    @property
    def shift_start(self) -> date | None:
        """The first day of the shift's month."""
        if self.shift is None:
            return None
        kind, _, month = self.shift.partition(":")
        if kind not in SHIFTS:
            raise ValueError(f"shift {self.shift!r}: the kind must be one of {', '.join(SHIFTS)}")
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValueError(f"shift {self.shift!r}: expected KIND:YYYY-MM") from None
        if not self.start < first < self.end:
            raise ValueError(f"shift {self.shift!r}: the month must fall inside the period")
        return first

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
            shift=d.get("shift"),
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["end"] = self.end.isoformat()
        if self.shift is None:  # the manifests written before shifts existed stay the same
            del d["shift"]
        return d
