"""Classify the changes between two SDL files as breaking, dangerous or safe."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DangerousChangeType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    is_input_object_type,
    is_interface_type,
    is_object_type,
)


@dataclass
class SchemaDiff:
    breaking: list[str] = field(default_factory=list)
    dangerous: list[str] = field(default_factory=list)
    safe: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.breaking or self.dangerous or self.safe)

    def report(self) -> str:
        if not self.changed:
            return "no changes"
        lines = []
        for title, entries in (
            ("BREAKING", self.breaking),
            ("DANGEROUS", self.dangerous),
            ("SAFE", self.safe),
        ):
            lines += [f"{title}: {entry}" for entry in entries]
        return "\n".join(lines)


# graphql-core files these under "dangerous", yet no existing operation can notice
# an optional input it does not send; a client's CI must not fail on routine growth.
_OPTIONAL_INPUTS_ADDED = frozenset(
    {DangerousChangeType.OPTIONAL_ARG_ADDED, DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED}
)


def diff_schemas(old_sdl: str, new_sdl: str) -> SchemaDiff:
    """Compare two SDL texts; raises graphql's GraphQLError if either does not parse."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    dangerous = find_dangerous_changes(old, new)
    return SchemaDiff(
        breaking=[f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)],
        dangerous=[
            f"{c.type.name}: {c.description}"
            for c in dangerous
            if c.type not in _OPTIONAL_INPUTS_ADDED
        ],
        safe=[
            f"{c.type.name}: {c.description}" for c in dangerous if c.type in _OPTIONAL_INPUTS_ADDED
        ]
        + _additions(old, new),
    )


def _additions(old: GraphQLSchema, new: GraphQLSchema) -> list[str]:
    """Types and fields that only the new schema has (additions never break clients,
    except required input fields, which graphql-core already reports as breaking)."""
    found = []
    for name, new_type in sorted(new.type_map.items()):
        if name.startswith("__"):
            continue
        old_type = old.type_map.get(name)
        if old_type is None:
            found.append(f"ADDED_TYPE: {name} was added")
            continue
        if is_object_type(new_type) or is_interface_type(new_type):
            if is_input_object_type(old_type):
                continue
            old_fields = getattr(old_type, "fields", {})
            found += [
                f"ADDED_FIELD: {name}.{field_name} was added"
                for field_name in new_type.fields
                if field_name not in old_fields
            ]
    return found
