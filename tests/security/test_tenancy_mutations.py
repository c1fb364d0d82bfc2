"""The mutation half of the tenancy matrix (cases in ``tenancy_writes``; that every
mutation has one is checked in ``test_tenancy``). Each case gets a fresh world,
since a refusal that fails would change it."""

from __future__ import annotations

import pytest

from tests.security.tenancy_writes import MUTATION_CASES


@pytest.mark.parametrize("field", sorted(MUTATION_CASES))
async def test_a_member_changes_none_of_another_members_rows_with(field, world):
    await MUTATION_CASES[field](world)
