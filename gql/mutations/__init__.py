"""Root mutation fields: one input object in, one payload out, one unit of work each."""

from strawberry.tools import merge_types

from gql.mutations.accounts import AccountMutations
from gql.mutations.appointments import AppointmentMutations
from gql.mutations.conversations import ConversationMutations
from gql.mutations.customers import CustomerMutations
from gql.mutations.personas import PersonaMutations
from gql.mutations.schedules import ScheduleMutations

Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        PersonaMutations,
        CustomerMutations,
        ConversationMutations,
        AppointmentMutations,
        ScheduleMutations,
    ),
)

__all__ = ["Mutation"]
