"""One module per family of hard rules (spec, "What a plan must satisfy").

Each family adds its constraints under the rule's name (:class:`allocator.schema.Rule`).
"""

from allocator.model.constraints import (
    daily_capacity,
    exclusivity,
    fixed,
    in_house_share,
    max_projects,
    required,
    task,
    workplace_fill,
)

FAMILIES = (
    workplace_fill,
    daily_capacity,
    exclusivity,
    task,
    max_projects,
    in_house_share,
    fixed,
    required,
)

__all__ = ["FAMILIES"]
