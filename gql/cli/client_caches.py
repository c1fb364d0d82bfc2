"""What normalised client caches need to know of the schema, as JSON files that
`concierge export-schema` writes beside the SDL: Apollo Client's ``possibleTypes``
and urql graphcache's ``keys`` for types without an identity."""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, GraphQLUnionType


def possible_types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """``{interface or union: [object types]}``, sorted, as Apollo's
    ``new InMemoryCache({ possibleTypes })`` wants it (fragments on ``Node`` and on
    payload unions then match without warnings)."""
    found: dict[str, list[str]] = {}
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            members = schema.get_possible_types(graphql_type)
            found[name] = sorted(member.name for member in members)
    return found


def keyless_types(schema: GraphQLSchema) -> dict[str, None]:
    """``{object type: null}`` for every object type without an ``id`` field (value
    objects, payloads, connections, edges): urql graphcache's ``keys`` maps each
    to ``() => null`` so they are embedded in their parent, not normalised."""
    roots = {
        root.name
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
    }
    return {
        name: None
        for name, graphql_type in sorted(schema.type_map.items())
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("__")
        and name not in roots
        and "id" not in graphql_type.fields
    }
