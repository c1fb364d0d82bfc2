"""`concierge schema-diff OLD NEW`: breaking changes fail a client's CI, dangerous ones
are reported (and fail on request), safe ones are listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gql.schema import export_sdl

OLD = """
type Query {
  personas(first: Int = 20): [Persona!]!
}

type Persona {
  id: ID!
  name: String!
  description: String
}

enum Channel { TELEGRAM WEB }

input PersonaInput { name: String! }

type Mutation {
  createPersona(input: PersonaInput!, channel: Channel): Persona
}
"""


def diff(tmp_path: Path, new: str, *options: str):
    from gql.cli import app

    old_file, new_file = tmp_path / "old.graphql", tmp_path / "new.graphql"
    old_file.write_text(OLD, encoding="utf-8")
    new_file.write_text(new, encoding="utf-8")
    return CliRunner().invoke(app, ["schema-diff", str(old_file), str(new_file), *options])


def test_a_removed_field_is_breaking_and_fails(tmp_path: Path):
    result = diff(tmp_path, OLD.replace("  description: String\n", ""))

    assert result.exit_code == 1
    assert "BREAKING: FIELD_REMOVED: Field Persona.description was removed." in result.output


@pytest.mark.parametrize(
    ("new", "reported"),
    [
        (OLD.replace("name: String!\n", "name: String!\n  avatar: String\n"), "Persona.avatar"),
        (OLD.replace("first: Int = 20)", "first: Int = 20, active: Boolean)"), "active"),
        (OLD.replace("{ name: String! }", "{ name: String!, prompt: String }"), "prompt"),
    ],
    ids=["added field", "added optional argument", "added optional input field"],
)
def test_additions_a_client_cannot_notice_are_safe(tmp_path: Path, new: str, reported: str):
    result = diff(tmp_path, new, "--fail-on-dangerous")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("SAFE:") and reported in line for line in lines), lines
    assert not any(line.startswith(("BREAKING", "DANGEROUS")) for line in lines), lines


@pytest.mark.parametrize(
    ("new", "kind"),
    [
        (OLD.replace("Int = 20", "Int = 50"), "ARG_DEFAULT_VALUE_CHANGE"),
        (OLD.replace("{ TELEGRAM WEB }", "{ TELEGRAM WEB SMS }"), "VALUE_ADDED_TO_ENUM"),
    ],
    ids=["changed default", "added enum value"],
)
def test_changes_that_may_surprise_clients_are_dangerous(tmp_path: Path, new: str, kind: str):
    reported = diff(tmp_path, new)
    strict = diff(tmp_path, new, "--fail-on-dangerous")

    assert reported.exit_code == 0
    assert any(line.startswith(f"DANGEROUS: {kind}") for line in reported.output.splitlines())
    assert strict.exit_code == 1


def test_a_required_argument_added_is_breaking(tmp_path: Path):
    result = diff(tmp_path, OLD.replace("channel: Channel)", "channel: Channel, owner: ID!)"))

    assert result.exit_code == 1
    assert "BREAKING: REQUIRED_ARG_ADDED" in result.output


def test_identical_schemas_have_no_changes(tmp_path: Path):
    result = diff(tmp_path, OLD)

    assert result.exit_code == 0
    assert result.output.strip() == "no changes"


def test_an_unreadable_schema_exits_2(tmp_path: Path):
    result = diff(tmp_path, "type Query {")

    assert result.exit_code == 2
    assert "cannot read schema" in result.output


def test_the_committed_schema_diffs_cleanly_against_the_code(tmp_path: Path):
    from gql.cli import app

    committed = Path(__file__).resolve().parents[2] / "schema.graphql"
    exported = tmp_path / "exported.graphql"
    exported.write_text(export_sdl(), encoding="utf-8")

    result = CliRunner().invoke(app, ["schema-diff", str(committed), str(exported)])

    assert result.exit_code == 0
    assert result.output.strip() == "no changes"
