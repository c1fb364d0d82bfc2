"""The README's configuration table documents every setting, with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from gql.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def configuration_table() -> dict[str, str]:
    """{variable: default cell} from the README's configuration table."""
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
            defaults = [d.strip() for d in cells[1].split("/")]
            for index, name in enumerate(names):
                rows[name] = defaults[min(index, len(defaults) - 1)]
    return rows


def test_every_setting_is_in_the_configuration_table():
    variables = {str(field.validation_alias) for field in Settings.model_fields.values()}

    assert variables - set(configuration_table()) == set()


def test_numeric_defaults_in_the_table_match_the_code():
    table = configuration_table()
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        shown = re.match(r"`([-0-9.]+)`", table[str(field.validation_alias)])
        assert shown, f"{field.validation_alias} has no default in the README"
        assert float(shown.group(1)) == default, name
