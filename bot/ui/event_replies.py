"""Pure text for `/settings events` and its line in `/settings view`."""

from __future__ import annotations

from bot.domain.scheduled_events import MirrorSetting
from bot.services.scheduled_events import EventsToggled

NEEDS_PERMISSION = (
    "Airdate lacks the **Create Events** permission here, so the setting is stored but no "
    "event is made until it has it: give the Airdate role Create Events (Server Settings → "
    "Roles) and the events follow on their own."
)


def events_set(result: EventsToggled, limit: int) -> str:
    """The answer to `/settings events enabled:...`."""
    if not result.setting.enabled:
        if result.deleting:
            plural = "event" if result.deleting == 1 else "events"
            return (
                f"Scheduled events are off. Airdate is deleting the {result.deleting} {plural} "
                "it made that have not started; events already under way are left to end."
            )
        return "Scheduled events are off. Airdate makes no more events here."
    on = (
        f"Scheduled events are on: the next {limit} premieres, seasons, finales and movies "
        "with an exact time appear in this server's Events tab, and follow their release "
        "when it moves or is cancelled."
    )
    if not result.can_create:
        return f"{on}\n{NEEDS_PERMISSION}"
    return f"{on} Airdate has the **Create Events** permission this needs."


def events_line(setting: MirrorSetting, can_create: bool) -> str:
    """`/settings view`'s line: on or off, and the missing permission if any."""
    if not setting.enabled:
        line = "Off: `/settings events enabled:true` mirrors highlights to the Events tab."
        return line if can_create else f"{line} Airdate would need **Create Events**."
    if not can_create:
        return "On, but waiting: Airdate lacks **Create Events** in this server."
    if setting.paused:
        return (
            "On, but paused: Discord refused Airdate's last event for lack of **Create "
            "Events**. Once the Airdate role has it, the events follow (or run "
            "`/settings events enabled:true`)."
        )
    return "On: upcoming premieres, finales and movies are in the Events tab."
