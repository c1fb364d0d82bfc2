from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from gql.api.core.context import Info
from gql.api.core.mutations import DeleteInput, DeletePayload, Payload, row_id, run_mutation
from gql.api.personas.types import Persona, PersonaModule
from persistence import models
from persistence.models import ExecutionContext
from persistence.services import personas
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class AiSettingsInput:
    model: str = "gpt-4o-mini"
    temperature: float = 0.7
    max_tokens: int = 1024


@strawberry.input
class VoiceSettingsInput:
    voice: str = "alloy"
    language: str = "en"
    speed: float = 1.0


@strawberry.input
class CreatePersonaInput:
    name: str
    system_prompt: str
    description: str | None = None
    first_message: str | None = None
    is_active: bool = True
    ai_settings: AiSettingsInput | None = None
    voice_settings: VoiceSettingsInput | None = None
    mode: str | None = None
    loop_frequency: str | None = None
    relation_type: str | None = None


@strawberry.input(description="Only the fields you pass change; `null` clears optional ones.")
class UpdatePersonaInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    system_prompt: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    first_message: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    ai_settings: AiSettingsInput | None = strawberry.UNSET
    voice_settings: VoiceSettingsInput | None = strawberry.UNSET
    avatar_file_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="An image file of yours (see `uploadFile`); `null` removes the avatar.",
    )
    mode: str | None = strawberry.UNSET
    loop_frequency: str | None = strawberry.UNSET
    relation_type: str | None = strawberry.UNSET


@strawberry.type
class PersonaPayload(Payload):
    persona: Persona | None = None


@strawberry.input
class CreatePersonaModuleInput:
    persona_id: strawberry.ID
    name: str
    type: str
    trigger_pattern: str | None = None
    content: str | None = None
    script: str | None = None
    execution_context: ExecutionContext = ExecutionContext.IMMEDIATE
    requires_ai_inference: bool = False
    stage_priority: int = 100
    is_active: bool = True


@strawberry.input(description="Only the fields you pass change; `null` clears optional ones.")
class UpdatePersonaModuleInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    trigger_pattern: str | None = strawberry.UNSET
    content: str | None = strawberry.UNSET
    script: str | None = strawberry.UNSET
    execution_context: ExecutionContext | None = strawberry.UNSET
    requires_ai_inference: bool | None = strawberry.UNSET
    stage_priority: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.type
class PersonaModulePayload(Payload):
    module: PersonaModule | None = None


def _module_fields(input: Any) -> dict[str, Any]:
    return {
        name: value
        for name in personas.MODULE_FIELDS
        if (value := getattr(input, name)) is not strawberry.UNSET
    }


def _settings(given: Any) -> dict[str, Any] | None:
    return None if given is None else dataclasses.asdict(given)


@strawberry.type
class PersonaMutations:
    @strawberry.mutation(description="Create a persona; its name is unique among yours.")
    async def create_persona(self, info: Info, input: CreatePersonaInput) -> PersonaPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaPayload:
            persona = await personas.create_persona(
                uow,
                viewer.id,
                {name: getattr(input, name) for name in personas.TEXTS},
                is_active=input.is_active,
                ai=_settings(input.ai_settings),
                voice=_settings(input.voice_settings),
            )
            return PersonaPayload(persona=Persona.from_row(persona))

        return await run_mutation(info, PersonaPayload, work)

    @strawberry.mutation(description="Change some fields of one of your personas.")
    async def update_persona(self, info: Info, input: UpdatePersonaInput) -> PersonaPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaPayload:
            changes = {
                name: _settings(value) if name.endswith("_settings") else value
                for name in (*personas.TEXTS, "is_active", "ai_settings", "voice_settings")
                if (value := getattr(input, name)) is not strawberry.UNSET
            }
            if input.avatar_file_id is not strawberry.UNSET:
                changes["avatar_file_id"] = row_id(
                    input.avatar_file_id, "File", ("avatar_file_id",)
                )
            persona_id = row_id(input.id, "Persona", ("id",))
            persona = await personas.update_persona(uow, persona_id, changes)
            return PersonaPayload(persona=Persona.from_row(persona))

        return await run_mutation(info, PersonaPayload, work)

    @strawberry.mutation(
        description="Delete one of your personas; its conversations stay, without a persona."
    )
    async def delete_persona(self, info: Info, input: DeleteInput) -> DeletePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            await personas.delete_persona(uow, row_id(input.id, "Persona", ("id",)))
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)

    @strawberry.mutation(description="Add a module to one of your personas.")
    async def create_persona_module(
        self, info: Info, input: CreatePersonaModuleInput
    ) -> PersonaModulePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaModulePayload:
            persona_id = row_id(input.persona_id, "Persona", ("persona_id",))
            row = await personas.create_persona_module(uow, persona_id, _module_fields(input))
            return PersonaModulePayload(module=PersonaModule.from_row(row))

        return await run_mutation(info, PersonaModulePayload, work)

    @strawberry.mutation(description="Change some fields of a module of one of your personas.")
    async def update_persona_module(
        self, info: Info, input: UpdatePersonaModuleInput
    ) -> PersonaModulePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaModulePayload:
            module_id = row_id(input.id, "PersonaModule", ("id",))
            row = await personas.update_persona_module(uow, module_id, _module_fields(input))
            return PersonaModulePayload(module=PersonaModule.from_row(row))

        return await run_mutation(info, PersonaModulePayload, work)

    @strawberry.mutation(description="Delete a module of one of your personas.")
    async def delete_persona_module(self, info: Info, input: DeleteInput) -> DeletePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            await personas.delete_persona_module(uow, row_id(input.id, "PersonaModule", ("id",)))
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)
