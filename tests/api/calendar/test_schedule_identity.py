"""A schedule has an identity, so normalised client caches (Apollo, urql, Relay)
update the one they hold when `updateSchedule` answers."""

from __future__ import annotations

from tests.api.steps import all_week
from tests.api.wire import ERRORS, global_id

UPDATE = f"""mutation($input: UpdateScheduleInput!) {{
  updateSchedule(input: $input) {{ schedule {{ __typename id timezone }} {ERRORS} }} }}"""
READ = "{ schedule { __typename id timezone isDefault } }"


async def test_the_schedule_keeps_one_id_from_default_to_saved(operator):
    default = (await operator.api.data(READ))["schedule"]
    saved = (
        await operator.api.data(
            UPDATE,
            {"input": {"timezone": "Europe/Berlin", "weeklyHours": all_week("09:00", "17:00")}},
        )
    )["updateSchedule"]["schedule"]
    read_again = (await operator.api.data(READ))["schedule"]

    assert default["isDefault"] is True and read_again["isDefault"] is False
    assert (
        default["id"] == saved["id"] == read_again["id"] == global_id("Schedule", operator.user.id)
    )
    assert read_again["timezone"] == "Europe/Berlin"


async def test_two_operators_schedules_have_different_ids(operator, rival):
    mine = (await operator.api.data(READ))["schedule"]["id"]
    theirs = (await rival.api.data(READ))["schedule"]["id"]

    assert mine != theirs
