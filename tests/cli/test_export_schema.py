"""The committed schema.graphql is the code's schema."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gql.cli import app
from gql.schema import export_sdl

COMMITTED = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_the_committed_schema_file_matches_the_code():
    exported = export_sdl()

    assert exported == COMMITTED.read_text(encoding="utf-8"), (
        "schema.graphql is out of date with the code; regenerate it with "
        "`concierge export-schema` and commit the result"
    )


def test_export_schema_writes_the_same_text_every_time(tmp_path: Path):
    first, second = tmp_path / "one.graphql", tmp_path / "two.graphql"
    runner = CliRunner()

    results = [
        runner.invoke(app, ["export-schema", "--output", str(path)]) for path in (first, second)
    ]

    assert [result.exit_code for result in results] == [0, 0], [r.output for r in results]
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8") == export_sdl()


def test_export_schema_to_stdout(tmp_path: Path):
    result = CliRunner().invoke(app, ["export-schema", "--output", "-"])

    assert result.exit_code == 0
    assert result.stdout == export_sdl()


def test_export_schema_writes_apollos_possible_types_and_urqls_keys(tmp_path: Path):
    possible, keys = tmp_path / "possibleTypes.json", tmp_path / "keys.json"

    result = CliRunner().invoke(
        app,
        [
            "export-schema",
            "--output",
            str(tmp_path / "schema.graphql"),
            "--possible-types",
            str(possible),
            "--urql-keys",
            str(keys),
        ],
    )

    assert result.exit_code == 0, result.output
    types = json.loads(possible.read_text())
    assert "Persona" in types["Node"] and "Schedule" not in types["Node"]
    assert "NotFoundError" in types["UserError"]
    keyless = json.loads(keys.read_text())
    assert {"AiSettings", "VoiceSettings", "PageInfo", "PersonaConnection"} <= set(keyless)
    assert not {"Schedule", "Persona", "Query", "Mutation"} & set(keyless)
    assert set(keyless.values()) == {None}
