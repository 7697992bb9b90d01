"""How often a cron schedule runs, for every language's schedulers: seconds between runs, or None.

A schedule that repeats within the day (`*/5 * * * *`, `0 * * * *`, `minute="*/10"`) re-reads its
source like a polling loop; one whose time fields are all fixed (`0 6 * * *`, `hour=6, minute=0`)
runs at a time of day and is not polling. Only the second, minute and hour fields decide it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise

# (field name, seconds per unit), finest first.
TIME_FIELDS: tuple[tuple[str, int], ...] = (("second", 1), ("minute", 60), ("hour", 3600))
_STEP = re.compile(r"^(?:\*|\d+-\d+)/(\d+)$")  # "*/5", "0-59/10"
_RANGE = re.compile(r"^\d+-\d+$")  # "9-17": every unit within the range
_MACROS = {"@yearly": None, "@annually": None, "@monthly": None, "@weekly": None, "@daily": None,
           "@midnight": None, "@hourly": 3600.0}  # fmt: skip


# Runners named by how often they run (`run_hourly`, `register_minutely`), and the words that mark
# a callback registry between a detector and the policy: a registration names its cadence in its
# mechanism, and a runner that only calls what is registered for its cadence says so in its own.
CADENCES: dict[str, float] = {"secondly": 1, "minutely": 60, "hourly": 3600, "daily": 86400, "weekly": 604800}
_CADENCE_WORD = re.compile(r"secondly|minutely|hourly|daily|weekly")
REGISTRATION = "callback registry"
REGISTRY_RUNNER = "running registered callbacks"


def cadence_in(name: str) -> str | None:
    """The cadence word in a name: `run_hourly` -> "hourly"."""
    found = _CADENCE_WORD.search(name.lower())
    return found.group(0) if found else None


def field_spacing(field: str) -> int | None:
    """Units between runs a cron field allows (`*`: 1, `*/5`: 5, `0,30`: 30), or None when fixed or unknown."""
    field = field.strip()
    if field in ("*", "?"):
        return 1
    if (step := _STEP.match(field)) is not None:
        return int(step.group(1))
    if _RANGE.match(field):
        return 1
    if "," in field:
        values = sorted({int(part) for part in field.split(",") if part.strip().isdigit()})
        gaps = [later - earlier for earlier, later in pairwise(values)]
        return min(gaps) if gaps else None
    return None


def fields_period(values: Mapping[str, str | None], fields: Sequence[tuple[str, int]] = TIME_FIELDS) -> float | None:
    """Seconds between runs of a schedule given field by field (APScheduler, Celery `crontab`).

    An unset field finer than the coarsest set one runs only at its first value; an unset field
    coarser than every set one runs on every value, so the schedule repeats every such unit.
    """
    set_positions = [position for position, (name, _) in enumerate(fields) if values.get(name) is not None]
    coarsest_set = max(set_positions, default=-1)
    for position, (name, unit) in enumerate(fields):
        value = values.get(name)
        if value is None:
            if position < coarsest_set:
                continue
            return float(unit)
        spacing = field_spacing(value)
        if spacing is not None:
            return float(unit * spacing)
    return None


def expression_period(expression: str) -> float | None:
    """Seconds between runs of a crontab expression: five fields, or six with seconds first."""
    expression = expression.strip()
    if expression.lower() in _MACROS:
        return _MACROS[expression.lower()]
    parts = expression.split()
    if len(parts) == 6:
        second, minute, hour = parts[:3]
    elif len(parts) == 5:
        second, (minute, hour) = "0", parts[:2]
    else:
        return None
    for field, (_, unit) in zip((second, minute, hour), TIME_FIELDS, strict=True):
        spacing = field_spacing(field)
        if spacing is not None:
            return float(unit * spacing)
    return None
