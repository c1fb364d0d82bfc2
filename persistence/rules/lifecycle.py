"""An appointment's lifecycle: pending → confirmed → completed, and pending or
confirmed → cancelled. Pure rules; the services apply them under a row lock."""

from __future__ import annotations

from persistence.models import AppointmentChange, AppointmentStatus

# Where each status may go next; anything else is an invalid transition.
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PENDING: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.COMPLETED: frozenset(),
}
# Still ahead: may be moved, and is reminded of.
ACTIVE = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})
# The history entry each status change leaves.
CHANGE_TO = {
    AppointmentStatus.CONFIRMED: AppointmentChange.CONFIRMED,
    AppointmentStatus.COMPLETED: AppointmentChange.COMPLETED,
    AppointmentStatus.CANCELLED: AppointmentChange.CANCELLED,
}


def may_become(current: AppointmentStatus, target: AppointmentStatus) -> bool:
    return target in TRANSITIONS[current]


def may_move(current: AppointmentStatus) -> bool:
    return current in ACTIVE
