"""The steps of a deadline and when each is due: pure policy, read from the profile's
``deadlines:`` section (docs/product.md, "Deadlines").

A case has two deadlines (``enums.Deadline``): assign-by, met once the case is acknowledged
(someone holds it and said so), and first contact, met once ``first_contacted_at`` is recorded.
Before each, reminders go out at fractions of its window (``remind_at``: ``remind_50`` at half
the time from the report to the deadline, ``remind_90`` at nine tenths); when it passes unmet
the area's on-call supervisors are told (``escalate``); when ``escalation_window`` has passed
after that too and it is still unmet, the profile's fallback of last resort (``fallback``).

``plan`` says, for one deadline, which step to take now and when to look again:

- a reminder is worth sending only before the escalation: once the deadline has passed (or was
  escalated), the reminders not sent are dropped;
- of several reminders due at once (a sweep that ran late, a level raised), only the last one
  goes out, and the earlier ones are recorded as skipped;
- the fallback is due ``escalation_window`` after the later of the deadline and the escalation
  as sent (a medium or low escalation may have waited for working hours); ``0m`` sends it with
  the escalation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any

from case_store.enums import RiskLevel
from case_store.triage import InvalidPolicy, parse_duration

REMIND = "remind_"
ESCALATE = "escalate"
FALLBACK = "fallback"
DEFAULT_REMIND_AT = (0.5, 0.9)
# Immediate and high cases go to the fallback with the escalation, as soon as the deadline
# passes; medium and low ones give the supervisors half an hour first.
DEFAULT_ESCALATION_WINDOW: Mapping[RiskLevel, timedelta] = MappingProxyType(
    {
        RiskLevel.IMMEDIATE: timedelta(0),
        RiskLevel.HIGH: timedelta(0),
        RiskLevel.MEDIUM: timedelta(minutes=30),
        RiskLevel.LOW: timedelta(minutes=30),
    }
)


class InvalidDeadlines(ValueError):
    """The profile's ``deadlines:`` section is malformed."""


@dataclass(frozen=True)
class DeadlinePolicy:
    """When to remind before a deadline, and how long an escalation waits for the fallback."""

    remind_at: tuple[float, ...] = DEFAULT_REMIND_AT
    escalation_window: Mapping[RiskLevel, timedelta] = field(
        default_factory=lambda: DEFAULT_ESCALATION_WINDOW
    )

    def __post_init__(self) -> None:
        for fraction in self.remind_at:
            if isinstance(fraction, bool) or not isinstance(fraction, int | float):
                raise InvalidDeadlines(f"deadlines.remind_at: {fraction!r} is not a number")
            if not 0 < fraction < 1:
                raise InvalidDeadlines(
                    f"deadlines.remind_at: {fraction} is not a fraction between 0 and 1 "
                    "(0.5 reminds half way to the deadline)"
                )
        percents = [_percent(fraction) for fraction in self.remind_at]
        if any(later <= earlier for earlier, later in pairwise(percents)):
            raise InvalidDeadlines(
                "deadlines.remind_at: fractions must be in ascending order, at least 0.01 apart"
            )
        missing = set(RiskLevel) - set(self.escalation_window)
        if missing:
            names = ", ".join(sorted(level.value for level in missing))
            raise InvalidDeadlines(f"deadlines.escalation_window: no window for {names}")
        for level, window in self.escalation_window.items():
            if window < timedelta(0):
                raise InvalidDeadlines(
                    f"deadlines.escalation_window.{level.value} must not be negative"
                )
        object.__setattr__(self, "remind_at", tuple(self.remind_at))
        object.__setattr__(
            self, "escalation_window", MappingProxyType(dict(self.escalation_window))
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DeadlinePolicy:
        """The profile's ``deadlines:`` section (both keys optional)::

        remind_at: [0.5, 0.9]          # fractions of each window, ascending; [] for none
        escalation_window: 30m         # one duration for every level, or one per level:
        escalation_window: {immediate: 0m, high: 0m, medium: 30m, low: 30m}
        """
        if not isinstance(data, Mapping):
            raise InvalidDeadlines("deadlines: expected a mapping")
        unknown = sorted(str(key) for key in set(data) - {"remind_at", "escalation_window"})
        if unknown:
            raise InvalidDeadlines(f"deadlines: unknown keys: {', '.join(unknown)}")
        remind_at = data.get("remind_at", list(DEFAULT_REMIND_AT))
        if not isinstance(remind_at, list):
            raise InvalidDeadlines("deadlines.remind_at: expected a list of fractions")
        window = data.get("escalation_window")
        try:
            if window is None:
                windows = dict(DEFAULT_ESCALATION_WINDOW)
            elif isinstance(window, Mapping):
                windows = {
                    _level(key): parse_duration(value, f"deadlines.escalation_window.{key}")
                    for key, value in window.items()
                }
            else:
                every = parse_duration(window, "deadlines.escalation_window")
                windows = dict.fromkeys(RiskLevel, every)
        except InvalidPolicy as exc:
            raise InvalidDeadlines(str(exc)) from None
        return cls(remind_at=tuple(remind_at), escalation_window=windows)

    def reminders(self) -> list[tuple[str, float]]:
        """Each reminder's step name (``remind_50``) with its fraction, earliest first."""
        return [(f"{REMIND}{_percent(fraction)}", fraction) for fraction in self.remind_at]


def _percent(fraction: float) -> int:
    return round(fraction * 100)


def _level(value: Any) -> RiskLevel:
    try:
        return RiskLevel(value)
    except ValueError:
        choices = ", ".join(level.value for level in RiskLevel)
        raise InvalidDeadlines(
            f"deadlines.escalation_window: {value!r} is not one of: {choices}"
        ) from None


@dataclass(frozen=True)
class Step:
    name: str
    due: datetime

    @property
    def is_reminder(self) -> bool:
        return self.name.startswith(REMIND)


def deadline_steps(
    policy: DeadlinePolicy,
    *,
    level: RiskLevel,
    opened: datetime,
    deadline: datetime,
    escalate_at: datetime | None = None,
    escalated_at: datetime | None = None,
) -> list[Step]:
    """The steps of one deadline of a case opened at ``opened``, in order. The escalation is
    due at ``deadline`` (or ``escalate_at``: an immediate case's escalation follows the triage
    policy's ``escalate_within``); the fallback is known once the escalation was taken, at
    ``escalated_at``."""
    window = deadline - opened
    steps = [Step(name, opened + fraction * window) for name, fraction in policy.reminders()]
    escalation = Step(ESCALATE, escalate_at or deadline)
    steps.append(escalation)
    if escalated_at is not None:
        late = max(escalation.due, escalated_at)
        steps.append(Step(FALLBACK, late + policy.escalation_window[level]))
    return steps


@dataclass(frozen=True)
class Plan:
    """For one deadline: the step to take now (None: nothing is due), the due reminders it
    makes pointless, and when the next step falls due (None: nothing is left)."""

    take: Step | None
    skip: tuple[Step, ...] = ()
    wake: datetime | None = None


def plan(steps: Sequence[Step], taken: Collection[str], now: datetime) -> Plan:
    """What to do about one deadline at ``now``, given the names of the steps already taken
    (sent, skipped, or found nobody)."""
    escalation = next(step for step in steps if step.name == ESCALATE)
    late = ESCALATE in taken or now >= escalation.due
    live = [step for step in steps if step.name not in taken and not (step.is_reminder and late)]
    due = [step for step in live if step.due <= now]
    if not due:
        return Plan(None, wake=min((step.due for step in live), default=None))
    chain = [step for step in due if not step.is_reminder]
    if chain:
        return Plan(chain[0])
    return Plan(due[-1], skip=tuple(due[:-1]))
