"""The schema's name converter gives Strawberry's names, converting each once."""

from __future__ import annotations

from strawberry.schema.name_converter import NameConverter

from gql.api.core.naming import RememberingNameConverter


def test_names_are_strawberrys_whether_camel_cased_or_not():
    names = ["order_by", "first", "persona_id", "_private", "already_camelCase", "x__y"]
    for auto_camel_case in (True, False):
        remembering = RememberingNameConverter(auto_camel_case)
        plain = NameConverter(auto_camel_case)
        for _ in range(2):  # converted, then remembered
            assert [remembering.apply_naming_config(n) for n in names] == [
                plain.apply_naming_config(n) for n in names
            ]


def test_a_name_is_converted_once(monkeypatch):
    converter = RememberingNameConverter()
    calls: list[str] = []
    convert = NameConverter.apply_naming_config

    def counted(self: NameConverter, name: str) -> str:
        calls.append(name)
        return convert(self, name)

    monkeypatch.setattr(NameConverter, "apply_naming_config", counted)
    for _ in range(3):
        assert converter.apply_naming_config("order_by") == "orderBy"

    assert calls == ["order_by"]
