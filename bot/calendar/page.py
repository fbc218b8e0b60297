"""A guild's schedule page as HTML: one self-contained document, no build step.

Rendered in UTC: its days are UTC days and its times say UTC. The inline script (the
only script; the Content-Security-Policy admits it by its hash and nothing else) moves
each release to the reader's own day, writes times in the reader's zone and counts down.
Nothing loads from elsewhere except the covers, from their own URLs. Everything a guild
typed is escaped, and only http(s) URLs become links or images.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime
from html import escape

from bot.domain.calendar import FeedLinks
from bot.domain.schedule import DAYS, Schedule, ScheduleEntry
from bot.domain.text import web_address

STYLE = """
:root{color-scheme:light dark;--bg:#f4f5fa;--card:#fff;--text:#1b1d29;--muted:#5b6075;
--line:#e1e4ee;--accent:#4f46e5;--on-accent:#fff;--premiere:#047857;--finale:#be185d}
@media (prefers-color-scheme:dark){:root{--bg:#111218;--card:#1b1d27;--text:#eceef6;
--muted:#a1a6ba;--line:#2b2e3d;--accent:#a5b4fc;--on-accent:#111218;--premiere:#6ee7b7;
--finale:#f9a8d4}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
.page{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.2;margin:.5rem 0 .25rem;overflow-wrap:anywhere}
.sub{color:var(--muted);margin:0 0 1rem}
.subscribe{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:.8rem 1rem;margin:0 0 1rem}
.button{display:inline-block;background:var(--accent);color:var(--on-accent);
text-decoration:none;font-weight:600;padding:.5rem .9rem;border-radius:8px}
.subscribe p{margin:.6rem 0 0;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.day h2{position:sticky;top:0;z-index:1;background:var(--bg);font-size:1.1rem;
margin:1rem 0 0;padding:.5rem 0}
.day h2 .date{color:var(--muted);font-weight:400;margin-left:.35rem}
.card{display:flex;gap:.85rem;background:var(--card);border:1px solid var(--line);
border-radius:12px;padding:.6rem;margin:.5rem 0}
.cover{flex:none;width:64px;height:90px;border-radius:8px;object-fit:cover;
background:var(--line)}
.cover.none{display:flex;align-items:center;justify-content:center;color:var(--muted);
font-size:1.6rem;font-weight:700}
.cover.broken{visibility:hidden}
.info{flex:1;min-width:0}
.when{display:flex;flex-wrap:wrap;gap:0 .6rem;margin:0;color:var(--muted);font-size:.9rem}
.when time{color:var(--text);font-weight:600}
.countdown{color:var(--accent)}
.title{font-size:1.05rem;line-height:1.3;margin:.15rem 0;overflow-wrap:anywhere}
.title a{color:inherit}
.label{margin:0;overflow-wrap:anywhere}
.marks{margin:.35rem 0 0}
.mark{display:inline-block;border:1px solid currentColor;border-radius:999px;
padding:0 .5rem;margin-right:.3rem;font-size:.75rem;font-weight:700;letter-spacing:.04em;
text-transform:uppercase}
.mark.premiere{color:var(--premiere)}
.mark.finale{color:var(--finale)}
.empty{color:var(--muted);text-align:center;padding:2rem 0}
footer{color:var(--muted);font-size:.8rem;text-align:center;padding:1.5rem 0 .5rem}
@media (min-width:40rem){.cover{width:80px;height:112px}.card{padding:.75rem}}
"""

SCRIPT = """
(() => {
  "use strict";
  const DAYS = __DAYS__;
  const main = document.getElementById("days");
  const held = document.getElementById("beyond");
  const empty = document.getElementById("empty");
  const cards = Array.from(document.querySelectorAll("article[data-at]"));
  const two = (n) => String(n).padStart(2, "0");
  const dayKey = (d) => d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  const dateText = new Intl.DateTimeFormat("en-GB",
    { weekday: "long", day: "numeric", month: "long" });
  const timeText = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  let placedOn = "";

  function place() {
    const now = new Date();
    placedOn = dayKey(now);
    const days = new Map();
    for (let i = 0; i < DAYS; i++) {
      const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() + i);
      days.set(dayKey(date), { date, i, cards: [] });
    }
    for (const card of cards) {
      let key = card.dataset.at;
      if (!card.hasAttribute("data-all-day")) {
        const moment = new Date(key);
        key = dayKey(moment);
        card.querySelector("time").textContent = timeText.format(moment);
      }
      const day = days.get(key);
      if (day) day.cards.push(card); else held.append(card);
    }
    const rank = (card) =>
      card.hasAttribute("data-all-day") ? -Infinity : Date.parse(card.dataset.at);
    const sections = document.createDocumentFragment();
    for (const [key, day] of days) {
      if (!day.cards.length) continue;
      const section = document.createElement("section");
      section.className = "day";
      section.dataset.day = key;
      const heading = document.createElement("h2");
      if (day.i < 2) {
        const date = document.createElement("span");
        date.className = "date";
        date.textContent = dateText.format(day.date);
        heading.append(day.i ? "Tomorrow" : "Today", " ", date);
      } else {
        heading.textContent = dateText.format(day.date);
      }
      section.append(heading, ...day.cards.sort((a, b) => rank(a) - rank(b)));
      sections.append(section);
    }
    main.replaceChildren(sections);
    empty.hidden = main.children.length > 0;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.getElementById("zone").textContent =
      "Times in your time zone" + (zone ? " (" + zone + ")" : "");
  }

  function span(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    if (d) return d + " d" + (h ? " " + h + " h" : m ? " " + m + " min" : "");
    if (h) return m ? h + " h " + m + " min" : h + " h";
    return m ? m + " min" : seconds + " s";
  }

  function tick() {
    if (dayKey(new Date()) !== placedOn) place();
    const now = Date.now();
    for (const counter of document.querySelectorAll(".countdown[data-at]")) {
      const seconds = Math.floor((Date.parse(counter.dataset.at) - now) / 1000);
      counter.textContent = seconds > 0 ? "in " + span(seconds)
        : seconds > -60 ? "out now" : "released " + span(-seconds) + " ago";
    }
  }

  for (const image of document.querySelectorAll("img.cover")) {
    image.addEventListener("error", () => image.classList.add("broken"));
  }
  tick();
  setInterval(tick, 1000);
})();
""".replace("__DAYS__", str(DAYS))


def _source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


#: Only this page's own style and script run; images may come from anywhere (covers).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src https: http: data:; "
    f"style-src {_source_hash(STYLE)}; script-src {_source_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _text(value: str) -> str:
    return escape(value, quote=True)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_heading(day: date, today: date) -> str:
    """'Today', 'Tomorrow' (each with the date), else the weekday and date."""
    written = f"{day:%A} {day.day} {day:%B}"
    ahead = (day - today).days
    if ahead in (0, 1):
        return f'{"Today" if ahead == 0 else "Tomorrow"} <span class="date">{written}</span>'
    return written


def entry_html(entry: ScheduleEntry) -> str:
    """One release's card."""
    if isinstance(entry.at, datetime):
        at = _iso(entry.at)
        attributes = f'data-at="{at}"'
        when = (
            f'<time datetime="{at}">{entry.at.astimezone(UTC):%H:%M} UTC</time>'
            f'<span class="countdown" data-at="{at}"></span>'
        )
    else:
        attributes = f'data-at="{entry.at.isoformat()}" data-all-day'
        when = f'<time datetime="{entry.at.isoformat()}">All day</time>'
    cover = web_address(entry.cover_url)
    if cover is not None:
        picture = (
            f'<img class="cover" src="{_text(cover)}" alt="" width="64" height="90" '
            'loading="lazy" decoding="async" referrerpolicy="no-referrer">'
        )
    else:
        initial = _text(entry.title.strip()[:1].upper())
        picture = f'<div class="cover none" aria-hidden="true">{initial}</div>'
    link = web_address(entry.link)
    title = _text(entry.title)
    if link is not None:
        title = f'<a href="{_text(link)}" rel="noopener noreferrer">{title}</a>'
    marks = [
        f'<span class="mark {kind}">{kind.capitalize()}</span>'
        for kind, marked in (("premiere", entry.premiere), ("finale", entry.finale))
        if marked
    ]
    parts = [
        f'<article class="card" {attributes}>',
        picture,
        '<div class="info">',
        f'<p class="when">{when}</p>',
        f'<h3 class="title">{title}</h3>',
    ]
    if entry.label:
        parts.append(f'<p class="label">{_text(entry.label)}</p>')
    if marks:
        parts.append(f'<p class="marks">{"".join(marks)}</p>')
    parts.append("</div></article>")
    return "".join(parts)


def schedule_page(name: str, schedule: Schedule, links: FeedLinks) -> str:
    """The guild's schedule page: its releases by UTC day, and links to subscribe."""
    sections = []
    for day in schedule.days:
        entries = schedule.on(day)
        if entries:
            sections.append(
                f'<section class="day" data-day="{day.isoformat()}">'
                f"<h2>{day_heading(day, schedule.today)}</h2>"
                + "\n".join(entry_html(entry) for entry in entries)
                + "</section>"
            )
    beyond = "\n".join(entry_html(entry) for entry in schedule.beyond)
    empty = " hidden" if sections else ""
    title = _text(name)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>{title} · release schedule</title>
<style>{STYLE}</style>
</head>
<body>
<div class="page">
<header>
<h1>{title}</h1>
<p class="sub">Releases in the next {DAYS} days · <span id="zone">Times in UTC</span></p>
</header>
<section class="subscribe" aria-label="Subscribe">
<a class="button" href="{_text(links.webcal)}">Subscribe in your calendar app</a>
<p>Apple Calendar and Outlook open that link. Google Calendar: Other calendars → From URL,
then paste <a href="{_text(links.https)}">{_text(links.https)}</a></p>
</section>
<main id="days">
{"".join(sections)}
</main>
<p id="empty" class="empty"{empty}>Nothing in the next {DAYS} days.</p>
<div id="beyond" hidden>
{beyond}
</div>
<footer>Made by Airdate · reload for the latest</footer>
</div>
<script>{SCRIPT}</script>
</body>
</html>
"""
