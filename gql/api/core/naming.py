"""GraphQL names from Python ones, as Strawberry converts them, remembered.

Strawberry converts names when it builds the schema and again whenever a field
with arguments runs: ``convert_arguments`` asks the name converter for each of
the field's arguments, and the converter rewrites the Python name in camel case
every time. A deep page runs a connection field with five arguments for every
conversation; each name is converted once here and looked up after that.
"""

from __future__ import annotations

from strawberry.schema.name_converter import NameConverter


class RememberingNameConverter(NameConverter):
    """Strawberry's name converter, converting each Python name once."""

    def __init__(self, auto_camel_case: bool = True) -> None:
        super().__init__(auto_camel_case)
        self._converted: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        try:
            return self._converted[name]
        except KeyError:
            converted = self._converted[name] = super().apply_naming_config(name)
            return converted
