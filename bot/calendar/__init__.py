"""The calendar: `.ics` exports and each guild's live feed over HTTP.

A way out of its own: it reads guilds' calendars through `bot.services.calendar` and the
core never imports it.
"""
