from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from gql.api.core.context import Info
from gql.api.core.mutations import (
    Payload,
    Rejected,
    camel,
    check_length,
    invalid,
    load_row,
    reject_invalid,
    run_mutation,
)
from gql.api.personas.types import Persona
from persistence import models
from persistence.unit_of_work import UnitOfWork

NAME_MAX, DESCRIPTION_MAX, PROMPT_MAX, FIRST_MESSAGE_MAX = 100, 2000, 20_000, 4000


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


@strawberry.input(description="Only the fields you pass change; `null` clears optional ones.")
class UpdatePersonaInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    system_prompt: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    first_message: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    ai_settings: AiSettingsInput | None = strawberry.UNSET
    voice_settings: VoiceSettingsInput | None = strawberry.UNSET


@strawberry.input
class DeleteInput:
    id: relay.GlobalID


@strawberry.type
class PersonaPayload(Payload):
    persona: Persona | None = None


@strawberry.type
class DeletePayload(Payload):
    deleted_id: relay.GlobalID | None = None


def _ai_settings(value: AiSettingsInput) -> dict[str, Any]:
    reject_invalid(
        check_length(value.model, "input.aiSettings.model", minimum=1, maximum=100),
        None
        if 0 <= value.temperature <= 2
        else invalid("must be between 0 and 2", "input.aiSettings.temperature"),
        None
        if 1 <= value.max_tokens <= 200_000
        else invalid("must be between 1 and 200000", "input.aiSettings.maxTokens"),
    )
    return {"model": value.model, "temperature": value.temperature, "max_tokens": value.max_tokens}


def _voice_settings(value: VoiceSettingsInput) -> dict[str, Any]:
    reject_invalid(
        check_length(value.voice, "input.voiceSettings.voice", minimum=1, maximum=100),
        check_length(value.language, "input.voiceSettings.language", minimum=1, maximum=35),
        None
        if 0.25 <= value.speed <= 4
        else invalid("must be between 0.25 and 4", "input.voiceSettings.speed"),
    )
    return {"voice": value.voice, "language": value.language, "speed": value.speed}


def _check_texts(fields: dict[str, Any]) -> None:
    reject_invalid(
        check_length(fields.get("name"), "input.name", minimum=1, maximum=NAME_MAX),
        check_length(
            fields.get("system_prompt"), "input.systemPrompt", minimum=1, maximum=PROMPT_MAX
        ),
        check_length(fields.get("description"), "input.description", maximum=DESCRIPTION_MAX),
        check_length(fields.get("first_message"), "input.firstMessage", maximum=FIRST_MESSAGE_MAX),
    )


@strawberry.type
class PersonaMutations:
    @strawberry.mutation(description="Create a persona; its name is unique among yours.")
    async def create_persona(self, info: Info, input: CreatePersonaInput) -> PersonaPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaPayload:
            fields = {
                "name": input.name.strip(),
                "system_prompt": input.system_prompt,
                "description": input.description,
                "first_message": input.first_message,
            }
            _check_texts(fields)
            persona = models.Persona(
                owner_id=viewer.id,
                is_active=input.is_active,
                ai_settings=_ai_settings(input.ai_settings or AiSettingsInput()),
                voice_settings=_voice_settings(input.voice_settings or VoiceSettingsInput()),
                **fields,
            )
            await uow.personas.add(persona)
            return PersonaPayload(persona=Persona.from_row(persona))

        return await run_mutation(info, PersonaPayload, work)

    @strawberry.mutation(description="Change some fields of one of your personas.")
    async def update_persona(self, info: Info, input: UpdatePersonaInput) -> PersonaPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PersonaPayload:
            persona = await load_row(uow.personas, input.id, "Persona")
            given = {
                name: value
                for name in ("name", "system_prompt", "description", "first_message", "is_active")
                if (value := getattr(input, name)) is not strawberry.UNSET
            }
            for required in ("name", "system_prompt", "is_active"):
                if required in given and given[required] is None:
                    raise Rejected(invalid("cannot be null", f"input.{camel(required)}"))
            if "name" in given:
                given["name"] = given["name"].strip()
            _check_texts(given)
            if input.ai_settings is not strawberry.UNSET:
                persona.ai_settings = _ai_settings(input.ai_settings or AiSettingsInput())
            if input.voice_settings is not strawberry.UNSET:
                persona.voice_settings = _voice_settings(
                    input.voice_settings or VoiceSettingsInput()
                )
            for name, value in given.items():
                setattr(persona, name, value)
            await uow.personas.save(persona)
            return PersonaPayload(persona=Persona.from_row(persona))

        return await run_mutation(info, PersonaPayload, work)

    @strawberry.mutation(
        description="Delete one of your personas; its conversations stay, without a persona."
    )
    async def delete_persona(self, info: Info, input: DeleteInput) -> DeletePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            persona = await load_row(uow.personas, input.id, "Persona")
            await uow.personas.remove(persona)
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)
