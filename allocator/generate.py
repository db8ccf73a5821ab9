"""Seeded, realistic instance generator (an IT services organisation and its customers).

The generator works in three steps, each driven by its own random stream derived from the
seed, so that what one step draws never shifts what another draws:

1. **People**: specialists with roles, skills, sourcing (in-house or a vendor), costs, hours,
   time zones, leave, certifications.
2. **Customers and demand**: projects, then one *demand* per project, a list of
   :class:`Stream` objects (a role with skills, some hours a day over a period). Most streams
   are *planted*: they are cut out of a specific specialist's free time, so that a staffing
   covering them exists (up to leave days); streams beyond the organisation's capacity
   (``tightness > 1``) are modelled on a specialist but not planted.
3. **Rendering**: each project's demand is written in the project's program: time-based as
   workplaces, project-based as tasks, mixed as workplaces for support streams and tasks for
   feature work. The demand does not depend on the programs, so the same seed rendered with
   ``program="time_based"``, ``"project_based"`` or ``"mixed"`` carries the same hours.

Only :class:`random.Random` instances seeded from ``GeneratorConfig.seed`` are used: the same
configuration always gives the same instance.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from allocator.calendar import dates_between, overlap_hours, working_dates
from allocator.schema import FORMAT, Horizon

__all__ = [
    "HORIZON_START",
    "PROGRAMS",
    "GeneratorConfig",
    "Stream",
    "demand_hours",
    "generate_instance",
    "horizon_dates",
    "write_instance",
]

HORIZON_START = dt.date(2027, 1, 4)
"""First date of every generated horizon (a Monday)."""

PROGRAMS: tuple[str, ...] = ("time_based", "project_based", "mixed")

ROLE_SHARES: dict[str, float] = {
    "developer": 0.50,
    "tester": 0.15,
    "analyst": 0.10,
    "project_leader": 0.09,
    "designer": 0.08,
    "admin": 0.08,
}
ROLE_SKILLS: dict[str, tuple[str, ...]] = {
    "developer": ("python", "java", "react", "sql", "devops"),
    "tester": ("qa", "automation"),
    "designer": ("figma", "ux"),
    "analyst": ("sql", "bpmn"),
    "project_leader": ("scrum", "pm"),
    "admin": ("linux", "cloud"),
}
SECONDARY_ROLE: dict[str, str] = {
    "developer": "tester",
    "tester": "developer",
    "designer": "analyst",
    "analyst": "project_leader",
    "project_leader": "analyst",
    "admin": "developer",
}
OUTSOURCED_RATE: dict[str, float] = {
    "developer": 0.45,
    "tester": 0.50,
    "designer": 0.40,
    "analyst": 0.25,
    "project_leader": 0.15,
    "admin": 0.35,
}
SUPPORT_ROLES = frozenset({"project_leader", "admin", "analyst"})
SKILL_LEVEL_WEIGHTS = (8, 22, 35, 25, 10)
CERTIFICATIONS = ("gdpr", "iso27001", "hipaa")

TIMEZONES = (
    "Europe/Kyiv",
    "Europe/Warsaw",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/Lisbon",
    "UTC",
)
IN_HOUSE_TZ_WEIGHTS = (40, 25, 0, 8, 17, 10)
DEFAULT_WORK_HOURS = "09:00-17:00"
OTHER_WORK_HOURS = ("08:00-16:00", "10:00-18:00", "11:00-19:00")

# (name, home time zone, roles it mostly supplies)
VENDORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("nearshore-dev", "Europe/Warsaw", ("developer", "tester", "admin")),
    ("pixelworks", "Europe/Lisbon", ("designer", "analyst")),
    ("offshore-one", "Asia/Kolkata", ("developer", "tester")),
    ("dnipro-soft", "Europe/Kyiv", ("developer", "admin", "project_leader")),
    ("qa-factory", "Asia/Kolkata", ("tester",)),
    ("cloudhands", "UTC", ("admin", "developer")),
    ("eastcoast-staffing", "America/New_York", ("developer", "project_leader", "analyst")),
    ("lisbon-labs", "Europe/Lisbon", ("developer", "designer")),
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "Europe/Kyiv": ("Olena", "Taras", "Iryna", "Andriy", "Oksana", "Dmytro", "Kateryna",
                    "Bohdan", "Yulia", "Serhiy", "Nataliia", "Mykola"),
    "Europe/Warsaw": ("Anna", "Piotr", "Katarzyna", "Tomasz", "Magda", "Pawel", "Agnieszka",
                      "Marek", "Zofia", "Jakub"),
    "Asia/Kolkata": ("Priya", "Rahul", "Ananya", "Arjun", "Deepa", "Vikram", "Sneha", "Ravi",
                     "Kavya", "Rohan"),
    "America/New_York": ("Emily", "Jacob", "Olivia", "Michael", "Sarah", "Daniel", "Grace",
                         "Ethan"),
    "Europe/Lisbon": ("Ines", "Joao", "Beatriz", "Tiago", "Mariana", "Rui", "Carla", "Nuno"),
    "UTC": ("Alex", "Sam", "Robin", "Kim", "Jordan", "Chris", "Maria", "Lena"),
}  # fmt: skip
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "Europe/Kyiv": ("Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko",
                    "Melnyk", "Boyko", "Oliynyk", "Lysenko", "Moroz"),
    "Europe/Warsaw": ("Nowak", "Kowalski", "Wisniewska", "Wojcik", "Kaminski", "Lewandowska",
                      "Zielinski", "Szymanska"),
    "Asia/Kolkata": ("Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Menon", "Rao",
                     "Das"),
    "America/New_York": ("Smith", "Johnson", "Miller", "Davis", "Brown", "Wilson", "Moore"),
    "Europe/Lisbon": ("Silva", "Santos", "Ferreira", "Pereira", "Costa", "Oliveira",
                      "Rodrigues"),
    "UTC": ("Berg", "Novak", "Keller", "Hansen", "Laurent", "Rossi", "Fischer"),
}  # fmt: skip

CUSTOMERS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
    "Soylent", "Vandelay", "Cyberdyne", "Tyrell", "Wonka", "Massive Dynamic", "Oscorp",
    "Aperture", "Blue Sun", "Nakatomi", "Pied Piper", "Dunder Mifflin", "Sterling Cooper",
    "Bluth", "Oceanic", "Virtucon", "Weyland", "Gekko", "Monarch", "Prestige Worldwide",
    "Krusty", "Genco", "Ollivander",
)  # fmt: skip
PRODUCTS = (
    "customer portal", "mobile app", "CRM migration", "data platform", "e-shop", "billing",
    "HR system", "analytics dashboard", "payment gateway", "intranet", "booking engine",
    "ERP integration", "claims processing", "loyalty program", "cloud migration",
)  # fmt: skip
CUSTOMER_TIMEZONES = ("Europe/London", "Europe/Berlin", "UTC", "Europe/Warsaw", "Europe/Kyiv")

Kind = Literal["support", "feature"]


@dataclass(frozen=True)
class GeneratorConfig:
    """Knobs of :func:`generate_instance`.

    Attributes
    ----------
    seed
        Seed of every random draw; the same configuration gives the same instance.
    specialists
        Number of specialists.
    projects
        Number of projects (customers' engagements).
    days
        Working days in the horizon. The horizon starts on Monday 2027-01-04, works Monday to
        Friday, has one public holiday (2027-01-18) when ``days >= 15``, and ends on the date
        that makes exactly ``days`` working dates.
    tightness
        Total demand hours over total specialist capacity hours (approximately).
    program
        ``None`` draws each project's program among time-based, project-based and mixed;
        ``"time_based"``, ``"project_based"`` or ``"mixed"`` forces it for all projects. The
        demand is the same whatever the programs.
    in_house_share
        ``None`` gives some projects a random minimum in-house share in {0, 0.2, 0.3, 0.5};
        a number gives every project that share.
    vendors
        Number of outsourcing vendors (0: everyone is in-house).
    required_fraction
        Fraction of workplaces and tasks marked ``required``, chosen only among those that the
        planted staffing covers in full (so the instance stays feasible).
    name
        Instance name; by default one is derived from the knobs.
    """

    seed: int = 0
    specialists: int = 20
    projects: int = 4
    days: int = 20
    tightness: float = 0.9
    program: str | None = None
    in_house_share: float | None = None
    vendors: int = 2
    required_fraction: float = 0.0
    name: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.specialists < 1:
            problems.append("specialists must be at least 1")
        if self.projects < 1:
            problems.append("projects must be at least 1")
        if self.days < 1:
            problems.append("days must be at least 1")
        if not self.tightness > 0:
            problems.append("tightness must be positive")
        if self.program is not None and self.program not in PROGRAMS:
            problems.append(f"program must be one of {', '.join(PROGRAMS)} or None")
        if self.in_house_share is not None and not 0 <= self.in_house_share <= 1:
            problems.append("in_house_share must be in [0, 1]")
        if self.vendors < 0:
            problems.append("vendors must be at least 0")
        if not 0 <= self.required_fraction <= 1:
            problems.append("required_fraction must be in [0, 1]")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass
class _Specialist:
    id: str
    name: str
    roles: list[str]
    sourcing: str
    vendor: str | None
    skills: dict[str, int]
    hours_per_day: float
    cost_per_hour: float
    max_projects: int | None
    timezone: str
    work_hours: str
    leave: tuple[int, int] | None  # working-date indices, inclusive
    certifications: set[str]
    familiar: set[int] = field(default_factory=set)
    projects: set[int] = field(default_factory=set)  # planted projects
    load: list[float] = field(default_factory=list)  # planted hours per working date

    def capacity(self, days: int) -> float:
        off = 0 if self.leave is None else self.leave[1] - self.leave[0] + 1
        return self.hours_per_day * (days - off)

    def on_leave(self, first: int, last: int) -> bool:
        return self.leave is not None and self.leave[0] <= last and first <= self.leave[1]


@dataclass
class _Project:
    id: str
    prefix: str
    name: str
    customer: str
    program: str
    priority: int
    share: float
    sourcing_by_role: dict[str, str]
    certifications: list[str]
    timezone: str
    work_hours: str
    min_overlap: float
    onboarding: float
    weight: float


@dataclass(frozen=True)
class Stream:
    """One piece of a project's demand, before it is rendered in the project's program.

    Attributes
    ----------
    project
        Index of the project.
    role, skills
        Who may do it (skills as minimum levels).
    hours
        Hours a day (4, 6 or 8 when the specialist works 8 hours a day).
    first, last
        Working-date indices of the period (inclusive).
    kind
        ``"support"`` (run as a workplace in a mixed program) or ``"feature"`` (tasks).
    planted
        Index of the specialist whose free time the stream was cut from, or ``None``.
    exclusive
        The stream takes its planted specialist's whole day, so a workplace may be exclusive.
    candidates
        A time-based rendering lists explicit candidates for it.
    salt
        Seed of the stream's own rendering choices (task splits, windows).
    """

    project: int
    role: str
    skills: dict[str, int]
    hours: float
    first: int
    last: int
    kind: Kind
    planted: int | None
    exclusive: bool
    candidates: bool
    salt: int

    @property
    def total_hours(self) -> float:
        """Hours a day times the working dates of the period."""
        return self.hours * (self.last - self.first + 1)


def horizon_dates(days: int) -> tuple[list[dt.date], list[dt.date]]:
    """The working dates and holidays of a generated horizon of ``days`` working days.

    Parameters
    ----------
    days
        Number of working dates wanted.

    Returns
    -------
    tuple[list[datetime.date], list[datetime.date]]
        The working dates (Monday to Friday from 2027-01-04, less holidays) and the holidays
        (2027-01-18 when ``days >= 15``, else none).
    """
    holidays = [HORIZON_START + dt.timedelta(days=14)] if days >= 15 else []
    dates: list[dt.date] = []
    day = HORIZON_START
    while len(dates) < days:
        if day.weekday() < 5 and day not in holidays:
            dates.append(day)
        day += dt.timedelta(days=1)
    return dates, holidays


def _q(value: float, step: float = 0.5) -> float:
    return round(value / step) * step


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)


def _level(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), SKILL_LEVEL_WEIGHTS)[0]


def _role_quotas(n: int) -> list[str]:
    """``n`` primary roles in the proportions of :data:`ROLE_SHARES` (largest remainder)."""
    exact = {role: n * share for role, share in ROLE_SHARES.items()}
    counts = {role: int(value) for role, value in exact.items()}
    order = sorted(ROLE_SHARES, key=lambda role: -(exact[role] - counts[role]))
    for role in order[: n - sum(counts.values())]:
        counts[role] += 1
    return [role for role in ROLE_SHARES for _ in range(counts[role])]


def _skills(rng: random.Random, role: str) -> dict[str, int]:
    pool = ROLE_SKILLS[role]
    if role == "developer":
        core = [rng.choice(("python", "java"))]
        if rng.random() < 0.2:
            core = ["python", "java"]
        extras = [s for s in pool if s not in core]
        picked = core + rng.sample(extras, rng.choices((0, 1, 2), (30, 45, 25))[0])
    else:
        picked = rng.sample(pool, rng.randint(1, len(pool)))
    return {skill: _level(rng) for skill in picked}


def _make_specialists(config: GeneratorConfig, days: int) -> list[_Specialist]:
    rng = random.Random(f"{config.seed}:specialists")
    roles = _role_quotas(config.specialists)
    rng.shuffle(roles)
    vendors = VENDORS[: config.vendors] + tuple(
        (f"vendor-{i + 1}", rng.choice(TIMEZONES), ("developer",))
        for i in range(len(VENDORS), config.vendors)
    )
    width = max(3, len(str(config.specialists)))
    out: list[_Specialist] = []
    for i, role in enumerate(roles):
        outsourced = bool(vendors) and rng.random() < OUTSOURCED_RATE[role]
        skills = _skills(rng, role)
        role_list = [role]
        if rng.random() < 0.12:
            second = SECONDARY_ROLE[role]
            role_list.append(second)
            for skill in rng.sample(ROLE_SKILLS[second], 1):
                skills.setdefault(skill, rng.randint(1, 3))
        vendor: str | None = None
        if outsourced:
            weights = [3.0 if role in focus else 1.0 for _, _, focus in vendors]
            vendor, home, _ = rng.choices(vendors, weights)[0]
            timezone = home if rng.random() < 0.9 else rng.choice(TIMEZONES)
        else:
            timezone = rng.choices(TIMEZONES, IN_HOUSE_TZ_WEIGHTS)[0]
        work_hours = DEFAULT_WORK_HOURS
        if rng.random() < 0.2:
            work_hours = rng.choice(OTHER_WORK_HOURS)
        hours_per_day = rng.choices((8.0, 6.0, 4.0), (80, 12, 8))[0]
        seniority = sum(sorted(skills.values())[-2:]) / min(2, len(skills))
        if outsourced:
            cost = 25 + (seniority - 1) * 7 + rng.uniform(-4, 6)
            if timezone == "Asia/Kolkata":
                cost -= 5
            cost = min(60.0, max(25.0, _q(cost)))
            max_projects = rng.choices((1, 2, None), (50, 35, 15))[0]
        else:
            cost = 45 + (seniority - 1) * 9 + rng.uniform(-4, 8)
            if role == "project_leader":
                cost += 6
            cost = min(90.0, max(45.0, _q(cost)))
            max_projects = rng.choices((None, 2, 3), (60, 20, 20))[0]
        leave: tuple[int, int] | None = None
        if rng.random() < 0.15:
            length = rng.randint(1, min(5, days))
            first = rng.randint(0, days - length)
            leave = (first, first + length - 1)
        certs: set[str] = set()
        if rng.random() < (0.3 if timezone.startswith("Europe") else 0.1):
            certs.add("gdpr")
        if rng.random() < (0.2 if role in ("admin", "developer") else 0.1):
            certs.add("iso27001")
        if rng.random() < (0.3 if timezone == "America/New_York" else 0.04):
            certs.add("hipaa")
        first_name = rng.choice(FIRST_NAMES[timezone])
        last_name = rng.choice(LAST_NAMES[timezone])
        out.append(
            _Specialist(
                id=f"s{i + 1:0{width}d}",
                name=f"{first_name} {last_name}",
                roles=role_list,
                sourcing="outsourced" if outsourced else "in_house",
                vendor=vendor,
                skills=dict(sorted(skills.items())),
                hours_per_day=hours_per_day,
                cost_per_hour=cost,
                max_projects=max_projects,
                timezone=timezone,
                work_hours=work_hours,
                leave=leave,
                certifications=certs,
                load=[0.0] * days,
            )
        )
    return out


def _make_projects(config: GeneratorConfig) -> list[_Project]:
    rng = random.Random(f"{config.seed}:projects")
    program_rng = random.Random(f"{config.seed}:programs")
    width = max(2, len(str(config.projects)))
    if config.projects <= len(CUSTOMERS):
        customers = rng.sample(CUSTOMERS, config.projects)
    else:
        customers = [rng.choice(CUSTOMERS) for _ in range(config.projects)]
    out: list[_Project] = []
    for j, customer in enumerate(customers):
        prefix = f"p{j + 1:0{width}d}"
        us_customer = rng.random() < 0.15
        if us_customer:
            timezone, min_overlap = "America/New_York", 2.0
        else:
            timezone, min_overlap = rng.choice(CUSTOMER_TIMEZONES), 0.0
        certs: list[str] = []
        if rng.random() < 0.2:
            certs = [rng.choices(CERTIFICATIONS, (5, 3, 6 if us_customer else 1))[0]]
        sourcing_by_role: dict[str, str] = {}
        if rng.random() < 0.25:
            sourcing_by_role["project_leader"] = "in_house"
        if rng.random() < 0.1:
            sourcing_by_role["designer"] = "in_house"
        if config.in_house_share is not None:
            share = config.in_house_share
        else:
            share = rng.choice((0.0, 0.0, 0.0, 0.2, 0.3, 0.5))
        drawn_program = program_rng.choices(PROGRAMS, (35, 30, 35))[0]
        out.append(
            _Project(
                id=f"{prefix}-{_slug(customer)}",
                prefix=prefix,
                name=f"{customer} {rng.choice(PRODUCTS)}",
                customer=customer,
                program=config.program or drawn_program,
                priority=rng.choices((1, 2, 3, 4, 5), (1, 2, 4, 2, 1))[0],
                share=share,
                sourcing_by_role=sourcing_by_role,
                certifications=certs,
                timezone=timezone,
                work_hours=DEFAULT_WORK_HOURS,
                min_overlap=min_overlap,
                onboarding=rng.choice((0.0, 4.0, 8.0, 8.0, 16.0)),
                weight=rng.choice((1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 6.0)),
            )
        )
    return out


class _Demand:
    """Builds the streams, planting most of them into specialists' free time."""

    def __init__(
        self,
        config: GeneratorConfig,
        specialists: list[_Specialist],
        projects: list[_Project],
        first_date: dt.date,
        days: int,
    ) -> None:
        self.rng = random.Random(f"{config.seed}:demand")
        self.config = config
        self.specialists = specialists
        self.projects = projects
        self.first_date = first_date
        self.days = days
        self.streams: list[Stream] = []
        self.staffed = [False] * len(projects)
        self.booked: dict[str, float] = dict.fromkeys(ROLE_SHARES, 0.0)
        self._overlap: dict[tuple[str, str, str, str], float] = {}
        capacity = dict.fromkeys(ROLE_SHARES, 0.0)
        self.by_role: dict[str, list[int]] = {role: [] for role in ROLE_SHARES}
        for i, s in enumerate(specialists):
            capacity[s.roles[0]] += s.capacity(days)
            self.by_role[s.roles[0]].append(i)
        self.target = {role: config.tightness * cap for role, cap in capacity.items()}
        self.planted_target = {
            role: min(config.tightness, 1.0) * cap for role, cap in capacity.items()
        }

    # -- compatibility -------------------------------------------------------------------

    def overlap_ok(self, s: _Specialist, p: _Project) -> bool:
        if p.min_overlap <= 0:
            return True
        key = (s.timezone, s.work_hours, p.timezone, p.work_hours)
        if key not in self._overlap:
            self._overlap[key] = overlap_hours(*key, self.first_date)
        return self._overlap[key] + 1e-9 >= p.min_overlap

    def pick_project(
        self, s: _Specialist, role: str, *, planted: bool, avoid: frozenset[int] = frozenset()
    ) -> int | None:
        """A project for a stream of ``s`` in ``role``; grants a missing certification."""
        candidates: list[int] = []
        weights: list[float] = []
        full = planted and s.max_projects is not None and len(s.projects) >= s.max_projects
        for j, p in enumerate(self.projects):
            if j in avoid or (full and j not in s.projects):
                continue
            rule = p.sourcing_by_role.get(role, "any")
            if rule not in ("any", s.sourcing) or not self.overlap_ok(s, p):
                continue
            weight = p.weight
            if not self.staffed[j]:
                weight *= 4
            if planted and j in s.projects:
                weight *= 3
            if any(c not in s.certifications for c in p.certifications):
                weight *= 0.3
            if s.sourcing == "outsourced" and p.share >= 0.3:
                weight *= 0.5
            candidates.append(j)
            weights.append(weight)
        if not candidates:
            return None
        j = self.rng.choices(candidates, weights)[0]
        s.certifications.update(self.projects[j].certifications)
        if planted:
            s.projects.add(j)
        return j

    def stream_skills(self, s: _Specialist, role: str) -> dict[str, int]:
        own = [(k, s.skills[k]) for k in ROLE_SKILLS[role] if k in s.skills]
        if not own or self.rng.random() < 0.1:
            return {}
        n = 1 if len(own) == 1 or self.rng.random() < 0.6 else 2
        picked = sorted(self.rng.sample(own, n))
        return {k: max(1, level - self.rng.choice((0, 1, 1, 2))) for k, level in picked}

    # -- streams -------------------------------------------------------------------------

    def add(
        self,
        j: int,
        i: int,
        role: str,
        hours: float,
        first: int,
        last: int,
        *,
        planted: bool,
        exclusive: bool = False,
    ) -> None:
        rng = self.rng
        s = self.specialists[i]
        if role in SUPPORT_ROLES:
            kind: Kind = "support"
        elif role == "developer" and rng.random() < 0.25:
            kind = "support"
        else:
            kind = "feature"
        stream = Stream(
            project=j,
            role=role,
            skills=self.stream_skills(s, role),
            hours=hours,
            first=first,
            last=last,
            kind=kind,
            planted=i if planted else None,
            exclusive=exclusive and rng.random() < 0.35,
            candidates=rng.random() < 0.1,
            salt=rng.getrandbits(32),
        )
        self.streams.append(stream)
        self.staffed[j] = True
        self.booked[self.specialists[i].roles[0]] += stream.total_hours
        if planted:
            for d in range(first, last + 1):
                s.load[d] += hours

    def leaders(self) -> None:
        """Phase A: a part-time project leader over the whole horizon for each project."""
        role = "project_leader"
        pool = self.by_role[role]
        order = sorted(range(len(self.projects)), key=lambda j: -self.projects[j].weight)
        for j in order:
            if self.booked[role] + 4 * self.days > self.planted_target[role] + 1e-9:
                break
            p = self.projects[j]
            fits = []
            for i in pool:
                s = self.specialists[i]
                if s.hours_per_day - max(s.load) < 4 or not self.overlap_ok(s, p):
                    continue
                if p.sourcing_by_role.get(role, "any") not in ("any", s.sourcing):
                    continue
                if s.max_projects is not None and len(s.projects) >= s.max_projects:
                    continue
                fits.append(i)
            if not fits:
                continue
            least = min(max(self.specialists[i].load) for i in fits)
            i = self.rng.choice([i for i in fits if max(self.specialists[i].load) == least])
            s = self.specialists[i]
            s.certifications.update(p.certifications)
            s.projects.add(j)
            self.add(j, i, role, 4.0, 0, self.days - 1, planted=True)

    def segments(self) -> list[tuple[int, int]]:
        """Engagement periods of one specialist: 1-3 long pieces, sometimes with gaps."""
        rng, days = self.rng, self.days
        least = min(3, days)
        out: list[tuple[int, int]] = []
        cursor = 0
        while cursor < days:
            gap = rng.choice((0, 0, 0, 0, 1, 2, 3, 5)) if cursor or rng.random() < 0.2 else 0
            start = cursor + gap
            left = days - start
            if left < least:
                break
            if left < 10 or rng.random() < 0.45:
                length = left
            else:
                length = rng.randint(max(least, left // 4), left)
            if days - (start + length) < least:
                length = left
            out.append((start, start + length - 1))
            cursor = start + length
        return out

    def plant(self) -> None:
        """Phase B: fill specialists' free time with streams until each role's budget."""
        rng = self.rng
        for role in ROLE_SHARES:
            pool = list(self.by_role[role])
            rng.shuffle(pool)
            for i in pool:
                if self.booked[role] >= self.planted_target[role] - 1e-9:
                    break
                self._plant_one(i, role)

    def _plant_one(self, i: int, budget_role: str) -> None:
        rng = self.rng
        s = self.specialists[i]
        for first, last in self.segments():
            left = self.planted_target[budget_role] - self.booked[budget_role]
            if left <= 1e-9:
                return
            free = s.hours_per_day - max(s.load[first : last + 1])
            options = [h for h in (8.0, 6.0, 4.0) if h <= free]
            if not options:
                continue
            role = s.roles[0]
            if len(s.roles) > 1 and rng.random() < 0.15:
                role = s.roles[1]
            hours = options[0] if rng.random() < 0.85 or len(options) == 1 else options[1]
            parts = [hours]
            if hours == 8.0 and rng.random() < 0.2:
                parts = [4.0, 4.0]
            length = last - first + 1
            need = int(-(-left // sum(parts)))
            if need < length:
                last = first + max(need, min(3, length)) - 1
            whole_day = len(parts) == 1 and hours == s.hours_per_day == free
            used: set[int] = set()
            for h in parts:
                j = self.pick_project(s, role, planted=True, avoid=frozenset(used))
                if j is None:
                    continue
                used.add(j)
                self.add(j, i, role, h, first, last, planted=True, exclusive=whole_day)

    def overflow(self) -> None:
        """Phase C: demand beyond what was planted (tightness above 1, or leftovers)."""
        rng, days = self.rng, self.days
        for role in ROLE_SHARES:
            pool = self.by_role[role]
            misses = 0
            while pool and self.booked[role] < self.target[role] - 2 and misses < 50:
                i = rng.choice(pool)
                s = self.specialists[i]
                j = self.pick_project(s, role, planted=False)
                if j is None:
                    misses += 1
                    continue
                options = [h for h in (8.0, 6.0, 4.0) if h <= s.hours_per_day]
                hours = rng.choice(options)
                length = rng.randint(min(3, days), days)
                need = int(-(-(self.target[role] - self.booked[role]) // hours))
                length = max(min(3, days), min(length, need))
                first = rng.randint(0, days - length)
                self.add(j, i, role, hours, first, first + length - 1, planted=False)

    def build(self) -> list[Stream]:
        self.leaders()
        self.plant()
        self.overflow()
        return self.streams


def _eligible(s: _Specialist, p: _Project, stream: Stream, demand: _Demand) -> bool:
    if stream.role not in s.roles or s.hours_per_day < stream.hours:
        return False
    if any(s.skills.get(k, 0) < level for k, level in stream.skills.items()):
        return False
    if any(c not in s.certifications for c in p.certifications):
        return False
    rule = p.sourcing_by_role.get(stream.role, "any")
    return rule in ("any", s.sourcing) and demand.overlap_ok(s, p)


def _chunks(rng: random.Random, first: int, last: int) -> list[tuple[int, int]]:
    """Split a period into task windows of 5 to 20 working dates (shorter only if it is)."""
    out: list[tuple[int, int]] = []
    pos = first
    while pos <= last:
        left = last - pos + 1
        if left < 10 or (left <= 20 and rng.random() < 0.5):
            length = left
        else:
            length = rng.randint(5, min(20, left - 5))
        out.append((pos, pos + length - 1))
        pos += length
    return out


def _split(rng: random.Random, total_units: int, day_units: int, days: int) -> list[int]:
    """Split ``total_units`` into 1-3 parts, each at least two days' worth when possible."""
    k = rng.choices((1, 2, 3), (60, 30, 10))[0]
    least = 2 * day_units if days >= 4 else day_units
    k = max(1, min(k, total_units // least))
    if k == 1:
        return [total_units]
    spare = total_units - k * least
    cuts = sorted(rng.randint(0, spare) for _ in range(k - 1))
    bounds = [0, *cuts, spare]
    return [least + bounds[n + 1] - bounds[n] for n in range(k)]


class _Renderer:
    """Writes the streams as workplaces and tasks, following each project's program."""

    def __init__(
        self,
        demand: _Demand,
        dates: list[dt.date],
        config: GeneratorConfig,
    ) -> None:
        self.demand = demand
        self.dates = dates
        self.config = config
        self.workplaces: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        # items the planted staffing covers in full (no leave, in-house share safe)
        self.clear: list[dict[str, Any]] = []
        # id(item) -> (stream, first working-date index of its chunk, stream hours before it)
        self.origin: dict[int, tuple[Stream, int, float]] = {}

    def render(self, streams: list[Stream]) -> None:
        by_project: dict[int, list[Stream]] = {}
        for stream in streams:
            by_project.setdefault(stream.project, []).append(stream)
        for j, p in enumerate(self.demand.projects):
            wps: list[dict[str, Any]] = []
            tks: list[dict[str, Any]] = []
            for stream in by_project.get(j, []):
                as_workplace = p.program == "time_based" or (
                    p.program == "mixed" and stream.kind == "support"
                )
                if as_workplace:
                    wps.append(self.workplace(stream, p))
                else:
                    tks.extend(self.stream_tasks(stream, p))
            wwidth = max(2, len(str(len(wps))))
            twidth = max(2, len(str(len(tks))))
            for n, item in enumerate(wps):
                item["id"] = f"{p.prefix}-w{n + 1:0{wwidth}d}"
            for n, item in enumerate(tks):
                item["id"] = f"{p.prefix}-t{n + 1:0{twidth}d}"
            self.workplaces.extend(wps)
            self.tasks.extend(tks)

    def _is_clear(self, stream: Stream, p: _Project, first: int, last: int) -> bool:
        i = stream.planted
        if i is None:
            return False
        s = self.demand.specialists[i]
        return not s.on_leave(first, last) and (p.share == 0 or s.sourcing == "in_house")

    def workplace(self, stream: Stream, p: _Project) -> dict[str, Any]:
        item: dict[str, Any] = {"id": "", "project": p.id, "role": stream.role}
        if stream.skills:
            item["skills"] = dict(stream.skills)
        item["hours_per_day"] = stream.hours
        if stream.exclusive:
            item["exclusive"] = True
        item["start"] = self.dates[stream.first].isoformat()
        item["end"] = self.dates[stream.last].isoformat()
        if stream.candidates:
            rng = random.Random(stream.salt)
            specialists = self.demand.specialists
            pool = [
                i
                for i in self.demand.by_role.get(stream.role, [])
                if i != stream.planted and _eligible(specialists[i], p, stream, self.demand)
            ]
            chosen = [] if stream.planted is None else [stream.planted]
            rng.shuffle(pool)
            chosen += pool[: max(0, rng.randint(2, 4) - len(chosen))]
            if len(chosen) >= 2:
                item["candidates"] = [specialists[i].id for i in sorted(chosen)]
        if self._is_clear(stream, p, stream.first, stream.last):
            self.clear.append(item)
        self.origin[id(item)] = (stream, stream.first, 0.0)
        return item

    def stream_tasks(self, stream: Stream, p: _Project) -> list[dict[str, Any]]:
        rng = random.Random(stream.salt)
        last_day = len(self.dates) - 1
        hours = stream.hours
        daily = rng.choice((1.0, 2.0, 4.0) if hours in (4.0, 8.0) else (1.0, 2.0))
        out: list[dict[str, Any]] = []
        for first, last in _chunks(rng, stream.first, stream.last):
            length = last - first + 1
            unit_count = round(hours * length / daily)
            parts = _split(rng, unit_count, round(hours / daily), length)
            start, due = first, last
            if due - start + 1 < 3:  # widen a short window to 3 working days if possible
                due = min(last_day, start + 2)
                start = max(0, due - 2)
            due = min(last_day, due + rng.choice((0, 0, 1, 2)), start + 19)
            clear = self._is_clear(stream, p, first, last)
            before = 0.0
            for units in parts:
                item: dict[str, Any] = {"id": "", "project": p.id, "role": stream.role}
                if stream.skills:
                    item["skills"] = dict(stream.skills)
                item["effort_hours"] = units * daily
                item["start"] = self.dates[start].isoformat()
                item["due"] = self.dates[due].isoformat()
                item["max_assignees"] = rng.choices((1, 2, 3), (50, 35, 15))[0]
                item["min_daily_hours"] = daily
                out.append(item)
                if clear:
                    self.clear.append(item)
                self.origin[id(item)] = (stream, first, before)
                before += item["effort_hours"]
        return out

    def planted_rows(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """Assignment rows of the planted staffing for ``item`` (empty when not planted).

        Workplaces: the planted specialist every available date of the period. Tasks: the
        planted specialist works the stream's hours a day through its chunk, piece after
        piece, so a task gets the hours between those of the pieces before it and its end.
        """
        stream, first, before = self.origin[id(item)]
        if stream.planted is None:
            return []
        s = self.demand.specialists[stream.planted]
        project = self.demand.projects[stream.project].id
        rows: list[dict[str, Any]] = []
        if "hours_per_day" in item:
            for d in range(stream.first, stream.last + 1):
                if not s.on_leave(d, d):
                    rows.append(self._row(s.id, project, "workplace", item, d, stream.hours))
            return rows
        lo, hi = before, before + float(item["effort_hours"])
        d = first
        while (d - first) * stream.hours < hi:
            day_lo = (d - first) * stream.hours
            hours = min(hi, day_lo + stream.hours) - max(lo, day_lo)
            if hours > 0:
                rows.append(self._row(s.id, project, "task", item, d, hours))
            d += 1
        return rows

    def _row(
        self, specialist: str, project: str, kind: str, item: dict[str, Any], d: int, h: float
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"specialist": specialist, "project": project}
        row["workplace"] = item["id"] if kind == "workplace" else None
        row["task"] = item["id"] if kind == "task" else None
        row.update({"date": self.dates[d].isoformat(), "hours": h})
        return row

    def mark_required(self) -> None:
        fraction = self.config.required_fraction
        if fraction <= 0:
            return
        rng = random.Random(f"{self.config.seed}:required")
        total = len(self.workplaces) + len(self.tasks)
        wanted = min(len(self.clear), round(fraction * total))
        for item in rng.sample(self.clear, wanted):
            item["required"] = True


def _specialist_dict(
    s: _Specialist, dates: list[dt.date], projects: list[_Project]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "roles": list(s.roles),
        "sourcing": s.sourcing,
    }
    if s.vendor is not None:
        out["vendor"] = s.vendor
    out["skills"] = dict(s.skills)
    out["hours_per_day"] = s.hours_per_day
    out["cost_per_hour"] = s.cost_per_hour
    if s.max_projects is not None:
        out["max_projects"] = s.max_projects
    out["timezone"] = s.timezone
    if s.work_hours != DEFAULT_WORK_HOURS:
        out["work_hours"] = s.work_hours
    if s.leave is not None:
        out["unavailable"] = [
            {"start": dates[s.leave[0]].isoformat(), "end": dates[s.leave[1]].isoformat()}
        ]
    if s.certifications:
        out["certifications"] = sorted(s.certifications)
    if s.familiar:
        out["familiar_projects"] = [projects[j].id for j in sorted(s.familiar)]
    return out


def _project_dict(p: _Project) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id,
        "name": p.name,
        "customer": p.customer,
        "program": p.program,
        "priority": p.priority,
    }
    if p.share:
        out["min_in_house_share"] = p.share
    if p.sourcing_by_role:
        out["sourcing_by_role"] = dict(p.sourcing_by_role)
    if p.certifications:
        out["required_certifications"] = list(p.certifications)
    out["timezone"] = p.timezone
    if p.min_overlap:
        out["work_hours"] = p.work_hours
        out["min_overlap_hours"] = p.min_overlap
    out["onboarding_hours"] = p.onboarding
    return out


def _familiarity(config: GeneratorConfig, specialists: list[_Specialist], n: int) -> None:
    """Some specialists already know (some of) the projects they are planted on."""
    rng = random.Random(f"{config.seed}:familiar")
    for s in specialists:
        rate = 0.35 if s.sourcing == "in_house" else 0.15
        s.familiar = {j for j in sorted(s.projects) if rng.random() < rate}
        if rng.random() < 0.05:
            s.familiar.add(rng.randrange(n))


def generate_instance(config: GeneratorConfig) -> dict[str, Any]:
    """Generate a realistic, valid instance (a JSON-ready dict, ``"format": "allocator/1"``).

    Parameters
    ----------
    config
        The knobs (see :class:`GeneratorConfig`).

    Returns
    -------
    dict[str, Any]
        An instance that passes ``allocator.schema.Instance.model_validate``. Every workplace
        and task has at least one eligible specialist (role, skills, certifications, sourcing,
        time-zone overlap and hours a day).

    Examples
    --------
    >>> data = generate_instance(GeneratorConfig(seed=1, specialists=30, projects=5))
    >>> data["format"], len(data["specialists"]), len(data["projects"])
    ('allocator/1', 30, 5)
    """
    return _generate(config)[0]


def _generate(config: GeneratorConfig) -> tuple[dict[str, Any], _Renderer]:
    dates, holidays = horizon_dates(config.days)
    specialists = _make_specialists(config, len(dates))
    projects = _make_projects(config)
    demand = _Demand(config, specialists, projects, dates[0], len(dates))
    streams = demand.build()
    _familiarity(config, specialists, len(projects))
    renderer = _Renderer(demand, dates, config)
    renderer.render(streams)
    renderer.mark_required()
    program = config.program or "any"
    name = config.name or (
        f"gen-s{config.seed}-{config.specialists}x{config.projects}x{config.days}-{program}"
    )
    total = sum(stream.total_hours for stream in streams)
    capacity = sum(s.capacity(len(dates)) for s in specialists)
    description = (
        f"Generated (seed {config.seed}): {len(specialists)} specialists, {len(projects)} "
        f"projects, {len(dates)} working days, {total:.0f} demand hours for {capacity:.0f} "
        f"capacity hours (tightness {config.tightness:g})."
    )
    data = {
        "format": FORMAT,
        "name": name,
        "description": description,
        "horizon": {
            "start": dates[0].isoformat(),
            "end": dates[-1].isoformat(),
            "workdays": ["mon", "tue", "wed", "thu", "fri"],
            "holidays": [d.isoformat() for d in holidays],
        },
        "specialists": [_specialist_dict(s, dates, projects) for s in specialists],
        "projects": [_project_dict(p) for p in projects],
        "workplaces": renderer.workplaces,
        "tasks": renderer.tasks,
        "fixed": [],
    }
    return data, renderer


def demand_hours(instance: dict[str, Any]) -> float:
    """Total demand hours of an instance dict: workplace hours over their periods plus efforts.

    Parameters
    ----------
    instance
        An instance as a JSON-ready dict (for example from :func:`generate_instance`).

    Returns
    -------
    float
        Σ workplace ``hours_per_day`` × its working dates, plus Σ task ``effort_hours``.
    """
    dates = working_dates(Horizon.model_validate(instance["horizon"]))
    total = 0.0
    for w in instance.get("workplaces", []):
        start = dt.date.fromisoformat(w["start"]) if w.get("start") else None
        end = dt.date.fromisoformat(w["end"]) if w.get("end") else None
        total += float(w["hours_per_day"]) * len(dates_between(dates, start, end))
    total += sum(float(t["effort_hours"]) for t in instance.get("tasks", []))
    return total


def write_instance(config: GeneratorConfig, path: str | Path) -> Path:
    """Generate an instance and write it as pretty JSON.

    Parameters
    ----------
    config
        The knobs (see :class:`GeneratorConfig`).
    path
        Where to write; parent directories are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = generate_instance(config)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return out
