"""Discord's limits on message bodies (violations answer 400, code 50035)."""

from __future__ import annotations

from typing import Any

from tests.simulator.models import JSON

_EMBED_LIMITS = {"title": 256, "description": 4096}


def _embed_errors(index: int, embed: JSON) -> tuple[list[str], int]:
    errors: list[str] = []
    total = 0
    where = f"embeds.{index}"
    for key, limit in _EMBED_LIMITS.items():
        text = str(embed.get(key) or "")
        total += len(text)
        if len(text) > limit:
            errors.append(f"{where}.{key}: must be {limit} or fewer in length")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.append(f"{where}.fields: must be 25 or fewer in length")
    for f_index, item in enumerate(fields):
        name, value = str(item.get("name") or ""), str(item.get("value") or "")
        total += len(name) + len(value)
        if len(name) > 256:
            errors.append(f"{where}.fields.{f_index}.name: must be 256 or fewer in length")
        if len(value) > 1024:
            errors.append(f"{where}.fields.{f_index}.value: must be 1024 or fewer in length")
    footer = str((embed.get("footer") or {}).get("text") or "")
    total += len(footer)
    if len(footer) > 2048:
        errors.append(f"{where}.footer.text: must be 2048 or fewer in length")
    author = str((embed.get("author") or {}).get("name") or "")
    total += len(author)
    if len(author) > 256:
        errors.append(f"{where}.author.name: must be 256 or fewer in length")
    return errors, total


def message_errors(body: JSON) -> list[str]:
    """Every limit the message body breaks (empty when it is acceptable)."""
    errors: list[str] = []
    content: Any = body.get("content")
    if content is not None and len(str(content)) > 2000:
        errors.append("content: must be 2000 or fewer in length")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.append("embeds: must be 10 or fewer in length")
    total = 0
    for index, embed in enumerate(embeds):
        embed_errors, chars = _embed_errors(index, embed)
        errors.extend(embed_errors)
        total += chars
    if total > 6000:
        errors.append("embeds: total size of all embeds must be 6000 or fewer characters")
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > 25:
        errors.append("nonce: must be 25 or fewer in length")
    return errors
