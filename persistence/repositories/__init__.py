"""One repository per aggregate, each scoped to the caller's tenancy."""

from persistence.repositories.appointments import AppointmentFilter, AppointmentRepository
from persistence.repositories.base import Repository, SessionGate
from persistence.repositories.conversations import ConversationFilter, ConversationRepository
from persistence.repositories.customers import CustomerFilter, CustomerRepository
from persistence.repositories.files import FileFilter, FileRepository
from persistence.repositories.memories import MemoryRepository
from persistence.repositories.messages import MessageRepository
from persistence.repositories.modules import PersonaModuleRepository
from persistence.repositories.owner_settings import OwnerSettingsRepository
from persistence.repositories.personas import PersonaFilter, PersonaRepository
from persistence.repositories.schedules import ScheduleRepository
from persistence.repositories.states import ConversationStateRepository
from persistence.repositories.usage import UsageRepository
from persistence.repositories.users import UserRepository

__all__ = [
    "AppointmentFilter",
    "AppointmentRepository",
    "ConversationFilter",
    "ConversationRepository",
    "ConversationStateRepository",
    "CustomerFilter",
    "CustomerRepository",
    "FileFilter",
    "FileRepository",
    "MemoryRepository",
    "MessageRepository",
    "OwnerSettingsRepository",
    "PersonaFilter",
    "PersonaModuleRepository",
    "PersonaRepository",
    "Repository",
    "ScheduleRepository",
    "SessionGate",
    "UsageRepository",
    "UserRepository",
]
