"""`python -m gql.cli`: the `concierge` command."""

from gql.cli import app

app()
