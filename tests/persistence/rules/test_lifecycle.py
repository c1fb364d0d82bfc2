"""The appointment lifecycle as a table: pure, no database."""

from __future__ import annotations

import pytest

from persistence.models import AppointmentChange
from persistence.models import AppointmentStatus as S
from persistence.rules.lifecycle import ACTIVE, CHANGE_TO, may_become, may_move

ALLOWED = {(S.PENDING, S.CONFIRMED), (S.PENDING, S.CANCELLED),
           (S.CONFIRMED, S.COMPLETED), (S.CONFIRMED, S.CANCELLED)}  # fmt: skip


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_four_forward_moves_are_allowed(current, target):
    assert may_become(current, target) == ((current, target) in ALLOWED)


def test_only_pending_and_confirmed_appointments_move_and_are_reminded_of():
    assert {status for status in S if may_move(status)} == {S.PENDING, S.CONFIRMED} == ACTIVE


def test_every_reachable_status_leaves_its_own_history_entry():
    assert {target for _, target in ALLOWED} == set(CHANGE_TO)
    assert CHANGE_TO[S.CANCELLED] is AppointmentChange.CANCELLED
