"""Global ids in arguments: decode them and check they name the expected type."""

from __future__ import annotations

from uuid import UUID

from strawberry import relay

from gql.errors import BadUserInput
from gql.types.node import parse_uuid


def decode_id(global_id: relay.GlobalID, type_name: str, argument: str) -> UUID:
    """The row id inside ``global_id``; raises BadUserInput if it is not a ``type_name`` id."""
    row_id = parse_uuid(global_id.node_id) if global_id.type_name == type_name else None
    if row_id is None:
        raise BadUserInput(f"`{argument}` is not the id of a {type_name}", argument)
    return row_id


def decode_optional_id(
    global_id: relay.GlobalID | None, type_name: str, argument: str
) -> UUID | None:
    return None if global_id is None else decode_id(global_id, type_name, argument)
