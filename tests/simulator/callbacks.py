"""What the bot answers to interactions: callbacks, followups and edits of the response.

Discord's windows hold: the first callback must arrive within ``callback_window_seconds``
(3 s) of the interaction, or it is answered 404 10062 "Unknown interaction"; the webhook
token (followups, and reading, editing or deleting the response) lasts
``followup_window_seconds`` (15 min), then 404 10015 "Unknown Webhook". Ages are measured on
the book's clock (``time.monotonic`` unless a test injects one) from when the interaction
was created; every refusal is kept in ``late``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from tests.simulator.interactions import InteractionRecord
from tests.simulator.models import JSON, InteractionReply, LateAnswer, SimMessage
from tests.simulator.responses import error, invalid_form, json_body, no_content
from tests.simulator.validation import message_errors
from tests.simulator.world import World

CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

EPHEMERAL = 64
LOADING = 128

UNKNOWN_INTERACTION = 10062
UNKNOWN_WEBHOOK = 10015
CALLBACK_WINDOW_SECONDS = 3.0
FOLLOWUP_WINDOW_SECONDS = 15 * 60.0


class InteractionBook:
    def __init__(
        self,
        world: World,
        clock: Callable[[], float] = time.monotonic,
        *,
        callback_window_seconds: float = CALLBACK_WINDOW_SECONDS,
        followup_window_seconds: float = FOLLOWUP_WINDOW_SECONDS,
    ) -> None:
        self._world = world
        self.clock = clock
        self.callback_window_seconds = callback_window_seconds
        self.followup_window_seconds = followup_window_seconds
        self.by_id: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}
        self.replies: list[InteractionReply] = []
        self.late: list[LateAnswer] = []

    def add(self, record: InteractionRecord) -> None:
        self.by_id[record.id] = record
        self.by_token[record.token] = record

    def late_for(self, interaction_id: int) -> list[LateAnswer]:
        return [late for late in self.late if late.interaction_id == interaction_id]

    def _too_late(self, record: InteractionRecord, route: str, window: float, code: int) -> bool:
        age = self.clock() - record.created
        if age <= window:
            return False
        self.late.append(LateAnswer(record.id, record.label, route, age, code))
        record.updates.put_nowait("late")
        return True

    # ----------------------------------------------------------------- initial callback
    def callback(self, interaction_id: int, token: str, body: JSON) -> web.Response:
        record = self.by_id.get(interaction_id)
        if record is None or record.token != token:
            return error(404, UNKNOWN_INTERACTION, "Unknown interaction")
        window = self.callback_window_seconds
        if self._too_late(record, "callback", window, UNKNOWN_INTERACTION):
            return error(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if record.responded:
            return error(400, 40060, "Interaction has already been acknowledged.")
        kind = int(body.get("type", 0))
        data: JSON = body.get("data") or {}
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            problems = message_errors(data)
            if problems:
                return invalid_form(problems)
        reply = record.reply
        reply.callbacks.append(body)
        reply.type = kind
        message = self._apply_callback(record, kind, data)
        self.replies.append(reply)
        record.updates.put_nowait("callback")
        resource: JSON = {"type": kind}
        if message is not None:
            resource["message"] = self._world.message_payload(message)
        return json_body(
            {
                "interaction": {
                    "id": str(record.id),
                    "type": record.kind,
                    "response_message_id": None if message is None else str(message.id),
                    "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                    "response_message_ephemeral": message is not None and message.ephemeral,
                },
                "resource": resource,
            }
        )

    def _apply_callback(
        self, record: InteractionRecord, kind: int, data: JSON
    ) -> SimMessage | None:
        world, reply = self._world, record.reply
        if kind == CHANNEL_MESSAGE:
            record.original = world.create_message(
                record.channel, data, source="interaction", interaction_id=record.id
            )
            reply.show(record.original)
            return record.original
        if kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            record.original = world.create_message(
                record.channel, {}, source="interaction", interaction_id=record.id, flags=flags
            )
            reply.ephemeral = record.original.ephemeral
            reply.message_id = record.original.id
            return record.original
        if kind == UPDATE_MESSAGE and record.message is not None:
            world.edit_message(record.message, data)
            record.original = record.message
            reply.show(record.message)
            return record.message
        if kind == DEFERRED_UPDATE_MESSAGE and record.message is not None:
            record.original = record.message
            reply.message_id = record.message.id
        elif kind == AUTOCOMPLETE_RESULT:
            reply.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            reply.modal = data
        return None

    # ----------------------------------------------------------------- webhooks
    def _webhook(self, token: str, route: str) -> InteractionRecord | web.Response:
        """The interaction a webhook token belongs to, or Discord's refusal once it expired."""
        record = self.by_token.get(token)
        window = self.followup_window_seconds
        if record is None or self._too_late(record, route, window, UNKNOWN_WEBHOOK):
            return error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return record

    def followup(
        self, token: str, body: JSON, attachments: list[JSON], files: list[bytes] | None = None
    ) -> web.Response:
        record = self._webhook(token, "followup")
        if isinstance(record, web.Response):
            return record
        if not record.responded:
            return error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        problems = message_errors(body)
        if problems:
            return invalid_form(problems)
        original = record.original
        if (
            record.reply.type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.flags & LOADING
            and not original.deleted
        ):
            # The first followup after a deferral fills in the "thinking" message, whose
            # visibility the deferral fixed; it is the response, not a further message.
            self._world.edit_message(original, body)
            original.attachments = attachments or original.attachments
            original.files = files or original.files
            message = original
        else:
            flags = int(body.get("flags") or 0) & EPHEMERAL
            message = self._world.create_message(
                record.channel,
                body,
                source="followup",
                interaction_id=record.id,
                flags=flags,
                attachments=attachments,
                files=files,
            )
            record.reply.followups.append(message)
        record.reply.show(message)
        record.updates.put_nowait("followup")
        return json_body(self._world.message_payload(message))

    def _target(
        self, token: str, message_id: str, route: str
    ) -> tuple[InteractionRecord, SimMessage] | web.Response:
        record = self._webhook(token, route)
        if isinstance(record, web.Response):
            return record
        if message_id == "@original":
            message = record.original
        else:
            message = self._world.messages_by_id.get(_snowflake(message_id))
            if message is not None and message.interaction_id != record.id:
                message = None
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        return record, message

    def get(self, token: str, message_id: str) -> web.Response:
        target = self._target(token, message_id, "get")
        if isinstance(target, web.Response):
            return target
        return json_body(self._world.message_payload(target[1]))

    def edit(self, token: str, message_id: str, body: JSON) -> web.Response:
        target = self._target(token, message_id, "edit")
        if isinstance(target, web.Response):
            return target
        problems = message_errors(body)
        if problems:
            return invalid_form(problems)
        record, message = target
        self._world.edit_message(message, body)
        record.reply.show(message)
        record.updates.put_nowait("edit")
        return json_body(self._world.message_payload(message))

    def delete(self, token: str, message_id: str) -> web.Response:
        target = self._target(token, message_id, "delete")
        if isinstance(target, web.Response):
            return target
        target[1].deleted = True
        target[0].updates.put_nowait("delete")
        return no_content()


def _snowflake(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return 0
