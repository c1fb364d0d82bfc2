"""GraphiQL served by Concierge itself: the page at the GraphQL endpoint and its
JavaScript and CSS from package data, so exploring the API works offline.

The assets in ``static/`` are the npm packages graphiql, react and react-dom
(versions in ``static/VERSIONS``), refreshed by ``.ci/vendor-graphiql``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Template

from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# Relative to the endpoint's own path, so the page also works under a path prefix.
ASSETS_PATH = "graphiql"
REQUIRED_ASSETS = (
    "graphiql.min.js",
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
)

DEFAULT_QUERY = """\
# Welcome to Concierge! Run this with the pink button
# or Ctrl-Enter.
#
# To act as a user: sign in with the form above (or run
# signUp), and every request carries your token. Or put
# one in the Headers pane below:
#   {"Authorization": "Bearer <token>"}
# Until then `viewer` is null. The book icon opens Docs.

query Overview {
  health {
    status
    version
    database { ok dialect latencyMs }
    migrations { current head upToDate }
  }
  viewer {
    username
    role
    personas(first: 5) {
      totalCount
      edges { node { name isActive } }
    }
  }
}
"""


def assets() -> StaticFiles:
    """The ASGI app that serves GraphiQL's JavaScript and CSS."""
    return StaticFiles(directory=STATIC_DIR)


@cache
def page() -> str:
    """The GraphiQL page, with the demonstration query and an empty headers pane."""
    template = Template((Path(__file__).parent / "page.html").read_text(encoding="utf-8"))
    settings = json.dumps({"defaultQuery": DEFAULT_QUERY, "defaultHeaders": "{}"})
    # Inside <script>, "</" could end the element early; JSON allows escaping "<".
    return template.substitute(assets=ASSETS_PATH, settings=settings.replace("<", "\\u003c"))
