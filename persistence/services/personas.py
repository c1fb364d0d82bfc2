"""Creating, changing and deleting personas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from persistence.errors import NotFound, Problem
from persistence.models import (
    Persona,
    PersonaModule,
    default_ai_settings,
    default_voice_settings,
)
from persistence.rules.values import between, length, refuse
from persistence.services.files import owned_files
from persistence.unit_of_work import UnitOfWork

NAME_MAX, DESCRIPTION_MAX, PROMPT_MAX, FIRST_MESSAGE_MAX = 100, 2000, 20_000, 4000
KIND_MAX = 50  # mode, loop_frequency, relation_type
KINDS = ("mode", "loop_frequency", "relation_type")
TEXTS = ("name", "system_prompt", "description", "first_message", *KINDS)
REQUIRED = ("name", "system_prompt", "is_active")


def ai_settings(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """A persona's model settings, checked; the defaults where none are given."""
    value = {**default_ai_settings(), **(given or {})}
    at = "ai_settings"
    refuse(
        [
            length(value["model"], (at, "model"), minimum=1, maximum=100),
            between(value["temperature"], (at, "temperature"), 0, 2),
            between(value["max_tokens"], (at, "max_tokens"), 1, 200_000),
        ]
    )
    return value


def voice_settings(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """A persona's voice settings, checked; the defaults where none are given."""
    value = {**default_voice_settings(), **(given or {})}
    at = "voice_settings"
    refuse(
        [
            length(value["voice"], (at, "voice"), minimum=1, maximum=100),
            length(value["language"], (at, "language"), minimum=1, maximum=35),
            between(value["speed"], (at, "speed"), 0.25, 4),
        ]
    )
    return value


def _check_texts(fields: Mapping[str, Any]) -> None:
    refuse(
        [
            length(fields.get("name"), ("name",), minimum=1, maximum=NAME_MAX),
            length(fields.get("system_prompt"), ("system_prompt",), minimum=1, maximum=PROMPT_MAX),
            length(fields.get("description"), ("description",), maximum=DESCRIPTION_MAX),
            length(fields.get("first_message"), ("first_message",), maximum=FIRST_MESSAGE_MAX),
            *(length(fields.get(kind), (kind,), maximum=KIND_MAX) for kind in KINDS),
        ]
    )


async def create_persona(
    uow: UnitOfWork,
    owner_id: UUID,
    fields: Mapping[str, Any],
    *,
    is_active: bool = True,
    ai: Mapping[str, Any] | None = None,
    voice: Mapping[str, Any] | None = None,
) -> Persona:
    """A persona of ``owner_id``; ``fields`` are its texts. Raises InvalidInput, or
    Conflict when the owner has one of that name."""
    texts = {name: fields.get(name) for name in TEXTS}
    texts["name"] = (texts["name"] or "").strip()
    _check_texts(texts)
    persona = Persona(
        owner_id=owner_id,
        is_active=is_active,
        ai_settings=ai_settings(ai),
        voice_settings=voice_settings(voice),
        **texts,
    )
    async with uow.transaction():
        return await uow.personas.add(persona)


async def update_persona(uow: UnitOfWork, persona_id: UUID, changes: Mapping[str, Any]) -> Persona:
    """Change the given fields of a visible persona (``ai_settings`` or
    ``voice_settings`` of ``None`` restore the defaults; ``avatar_file_id`` is
    an image file of the persona's owner, or ``None`` for none). Raises
    NotFound, InvalidInput or Conflict."""
    async with uow.transaction():
        persona = await _persona(uow, persona_id)
        given = {name: value for name, value in changes.items() if name in (*TEXTS, "is_active")}
        for required in REQUIRED:
            if required in given and given[required] is None:
                refuse([Problem((required,), "cannot be null")])
        if "name" in given:
            given["name"] = given["name"].strip()
        _check_texts(given)
        if "ai_settings" in changes:
            persona.ai_settings = ai_settings(changes["ai_settings"])
        if "voice_settings" in changes:
            persona.voice_settings = voice_settings(changes["voice_settings"])
        if "avatar_file_id" in changes:
            persona.avatar_file_id = await _avatar(uow, persona, changes["avatar_file_id"])
        for name, value in given.items():
            setattr(persona, name, value)
        return await uow.personas.save(persona)


async def _avatar(uow: UnitOfWork, persona: Persona, file_id: UUID | None) -> UUID | None:
    if file_id is None:
        return None
    field = ("avatar_file_id",)
    (file,) = await owned_files(uow, persona.owner_id, [file_id], [field])
    if not file.content_type.startswith("image/"):
        refuse([Problem(field, f"an avatar must be an image, not {file.content_type}")])
    return file.id


async def delete_persona(uow: UnitOfWork, persona_id: UUID) -> None:
    """Delete a visible persona; its conversations and appointments stay, without it."""
    async with uow.transaction():
        await uow.personas.remove(await _persona(uow, persona_id))


async def _persona(uow: UnitOfWork, persona_id: UUID) -> Persona:
    persona = await uow.personas.lock(persona_id)
    if persona is None:
        raise NotFound("persona", persona_id, ("id",))
    return persona


MODULE_FIELDS = (
    "name",
    "type",
    "trigger_pattern",
    "content",
    "script",
    "execution_context",
    "requires_ai_inference",
    "stage_priority",
    "is_active",
)
MODULE_REQUIRED = (
    "name",
    "type",
    "execution_context",
    "requires_ai_inference",
    "stage_priority",
    "is_active",
)
MAX_MODULES_PER_PERSONA = 100


def _check_module(fields: Mapping[str, Any]) -> None:
    for required in MODULE_REQUIRED:
        if required in fields and fields[required] is None:
            refuse([Problem((required,), "cannot be null")])
    refuse(
        [
            length(fields.get("name"), ("name",), minimum=1, maximum=100),
            length(fields.get("type"), ("type",), minimum=1, maximum=50),
            length(fields.get("trigger_pattern"), ("trigger_pattern",), maximum=1000),
            length(fields.get("content"), ("content",), maximum=20_000),
            length(fields.get("script"), ("script",), maximum=20_000),
            between(fields.get("stage_priority"), ("stage_priority",), 0, 10_000),
        ]
    )


async def create_persona_module(
    uow: UnitOfWork, persona_id: UUID, fields: Mapping[str, Any]
) -> PersonaModule:
    """A module of a visible persona (its owner's). Raises NotFound, InvalidInput,
    or Conflict when the persona has a module of that name."""
    given = {name: fields[name] for name in MODULE_FIELDS if name in fields}
    if "name" in given and given["name"] is not None:
        given["name"] = given["name"].strip()
    _check_module(given)
    async with uow.transaction():
        persona = await uow.personas.lock(persona_id)
        if persona is None:
            raise NotFound("persona", persona_id, ("persona_id",))
        if await uow.persona_modules.count_of(persona.id) >= MAX_MODULES_PER_PERSONA:
            refuse([Problem(("persona_id",), f"has {MAX_MODULES_PER_PERSONA} modules already")])
        return await uow.persona_modules.add(
            PersonaModule(owner_id=persona.owner_id, persona_id=persona.id, **given)
        )


async def update_persona_module(
    uow: UnitOfWork, module_id: UUID, changes: Mapping[str, Any]
) -> PersonaModule:
    """Change the given fields of a visible module. Raises NotFound, InvalidInput
    or Conflict."""
    given = {name: changes[name] for name in MODULE_FIELDS if name in changes}
    if given.get("name") is not None:
        given["name"] = given["name"].strip()
    _check_module(given)
    async with uow.transaction():
        module = await uow.persona_modules.lock(module_id)
        if module is None:
            raise NotFound("persona module", module_id, ("id",))
        for name, value in given.items():
            setattr(module, name, value)
        return await uow.persona_modules.save(module)


async def delete_persona_module(uow: UnitOfWork, module_id: UUID) -> None:
    async with uow.transaction():
        module = await uow.persona_modules.lock(module_id)
        if module is None:
            raise NotFound("persona module", module_id, ("id",))
        await uow.persona_modules.remove(module)
