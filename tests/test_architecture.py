"""Dependencies point inwards, and the wall clock and .env are read in one place each."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
COGS = ROOT / "cogs"
DOMAIN = BOT / "domain"

DOMAIN_FORBIDDEN = (
    "discord",
    "aiosqlite",
    "apscheduler",
    "bot.storage",
    "bot.services",
    "bot.ui",
    "bot.scheduling",
)


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module, name: str, is_package: bool) -> Iterator[str]:
    """Yield the absolute name of every module `tree` imports, relative imports resolved."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            yield target
            for alias in node.names:
                yield f"{target}.{alias.name}"


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    name = module_name(path, root)
    return set(imported_modules(parse(path), name, path.name == "__init__.py"))


def import_graph(paths: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    """Map each module to the modules of `paths` it imports, anywhere in its body.

    Imports inside functions count: a lazy import hides a cycle from start-up but not from
    the reader. So do `TYPE_CHECKING` imports: a cycle that only type hints close is still
    two modules that each need the other to be understood. Importing `a.b.c` also runs the
    packages `a` and `a.b`, so those are edges too.
    """
    names = {module_name(path, root): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets: set[str] = set()
        for imported in imports_of(path, root):
            parts = imported.split(".")
            # `from a.b import c` yields `a.b.c`: c is a module, or a name within `a.b`.
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in names and candidate != name:
                    targets.add(candidate)
        graph[name] = targets
    return graph


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Return the cycles a depth-first walk meets, each from a module back to itself.

    A graph with any cycle has at least one such back edge, so an empty list means none.
    """
    cycles: list[list[str]] = []
    path: list[str] = []
    done: set[str] = set()

    def walk(node: str) -> None:
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if successor in path:
                cycle = [*path[path.index(successor) :], successor]
                if not any(set(cycle) <= set(found) for found in cycles):
                    cycles.append(cycle)
            elif successor not in done:
                walk(successor)
        path.pop()
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            walk(start)
    return cycles


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def wall_clock_calls(tree: ast.Module) -> list[int]:
    """Return the lines calling datetime.now/utcnow/today, however datetime was imported."""
    classes = ("datetime", "date")
    datetime_names = set(classes)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "datetime":
            datetime_names |= {a.asname or a.name for a in node.names if a.name in classes}
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("now", "utcnow", "today"):
            continue
        owner = node.func.value
        if (isinstance(owner, ast.Name) and owner.id in datetime_names) or (
            isinstance(owner, ast.Attribute) and owner.attr in classes
        ):
            lines.append(node.lineno)
    return lines


def uses_name(tree: ast.Module, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if isinstance(node, ast.Attribute) and node.attr == name:
            return True
        if isinstance(node, ast.ImportFrom | ast.Import) and any(
            alias.name == name or alias.name.endswith("." + name) for alias in node.names
        ):
            return True
    return False


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- the checks find what they look for -----------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "found"),
    [
        ("import discord", "bot.domain.x", "discord"),
        ("from discord.ext import commands", "bot.domain.x", "discord.ext"),
        ("from ..storage import deliveries", "bot.domain.x", "bot.storage"),
        ("from .. import ui", "bot.domain.x", "bot.ui"),
        ("from . import planning", "bot.domain", "bot.domain.planning"),
        ("def f():\n    import aiosqlite", "bot.domain.x", "aiosqlite"),
    ],
)
def test_import_scan_sees_every_form(source: str, name: str, found: str) -> None:
    is_package = name == "bot.domain"
    assert found in set(imported_modules(ast.parse(source), name, is_package))


def test_import_graph_keeps_lazy_and_type_checking_imports_and_parent_packages(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for path, text in {
        "__init__.py": "",
        "a.py": "def f():\n    from pkg.sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.c import C\n",
        "c.py": "import os\nfrom pkg import a\n",
    }.items():
        (package / path).write_text(text)
    graph = import_graph(modules(package), tmp_path)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg", "pkg.sub", "pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg", "pkg.c"},
        "pkg.c": {"pkg", "pkg.a"},
    }
    assert import_cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]


@pytest.mark.parametrize(
    ("graph", "cycles"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, [["b", "c", "b"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b", "a"], ["c", "d", "c"]]),
    ],
    ids=["chain", "diamond", "pair", "tail-into-loop", "two-loops"],
)
def test_cycle_search(graph: dict[str, set[str]], cycles: list[list[str]]) -> None:
    assert import_cycles(graph) == cycles


@pytest.mark.parametrize(
    ("source", "calls"),
    [
        ("from datetime import datetime\ndatetime.now(UTC)", 1),
        ("import datetime\ndatetime.datetime.utcnow()", 1),
        ("from datetime import datetime as dt\ndt.now()", 1),
        ("from datetime import date\ndate.today()", 1),
        ("import datetime as dt\ndt.date.today()", 1),
        ("from bot import clock\nclock.utcnow()", 0),
        ("now = clock()\nnow.replace(microsecond=0)", 0),
    ],
)
def test_wall_clock_scan(source: str, calls: int) -> None:
    assert len(wall_clock_calls(ast.parse(source))) == calls


# --- the rules ------------------------------------------------------------------------


def test_there_is_code_to_check() -> None:
    assert DOMAIN / "planning.py" in modules(DOMAIN)
    assert BOT / "clock.py" in modules(BOT)
    assert BOT / "__main__.py" in modules(BOT)


@pytest.mark.parametrize("path", modules(DOMAIN), ids=rel)
def test_the_domain_imports_no_io_or_outer_layer(path: Path) -> None:
    bad = sorted(name for name in imports_of(path) if within(name, DOMAIN_FORBIDDEN))
    assert bad == [], f"{rel(path)} imports {bad}"


def test_no_import_cycles_lazy_imports_included() -> None:
    cycles = import_cycles(import_graph(modules(BOT) + modules(COGS)))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("path", modules(BOT), ids=rel)
def test_bot_never_imports_cogs(path: Path) -> None:
    bad = sorted(name for name in imports_of(path) if within(name, ("cogs",)))
    assert bad == [], f"{rel(path)} imports {bad}: cogs are loaded by name"


@pytest.mark.parametrize("path", [p for p in modules(BOT) if p != BOT / "clock.py"], ids=rel)
def test_only_the_clock_reads_the_wall_clock(path: Path) -> None:
    lines = wall_clock_calls(parse(path))
    assert lines == [], f"{rel(path)} reads the wall clock on lines {lines}: take `now`"


def test_the_clock_does_read_the_wall_clock() -> None:
    assert wall_clock_calls(parse(BOT / "clock.py"))


@pytest.mark.parametrize(
    "path",
    [p for p in modules(BOT) + modules(ROOT / "cogs") if p != BOT / "__main__.py"],
    ids=rel,
)
def test_only_main_loads_dotenv(path: Path) -> None:
    assert not uses_name(parse(path), "load_dotenv"), f"{rel(path)} loads .env"


def test_main_loads_dotenv() -> None:
    assert uses_name(parse(BOT / "__main__.py"), "load_dotenv")


#: What only the composition root builds: the services, the delivery engine and the bot.
COLLABORATORS = frozenset(
    {
        "AirdateBot",
        "ChannelSender",
        "DeliveryService",
        "Dispatcher",
        "FollowService",
        "GuildLifecycle",
        "GuildOutages",
        "RateLimiter",
        "ReleaseService",
        "SettingsService",
        "SubscriptionService",
    }
)
COMPOSITION_ROOT = BOT / "composition.py"


def constructions(tree: ast.Module) -> set[str]:
    """Return the names of the collaborators `tree` calls into being."""
    built = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in COLLABORATORS:
            built.add(name)
    return built


@pytest.mark.parametrize(
    ("source", "built"),
    [
        ("bot = AirdateBot(config, database, services)", {"AirdateBot"}),
        ("x = lifecycle.GuildLifecycle(changes, outages=outages)", {"GuildLifecycle"}),
        ("def f(d: DeliveryService) -> None:\n    d.start()", set()),
    ],
)
def test_construction_scan(source: str, built: set[str]) -> None:
    assert constructions(ast.parse(source)) == built


@pytest.mark.parametrize(
    "path",
    [p for p in modules(BOT) + modules(ROOT / "cogs") if p != COMPOSITION_ROOT],
    ids=rel,
)
def test_only_the_composition_root_builds_services(path: Path) -> None:
    built = sorted(constructions(parse(path)))
    assert built == [], f"{rel(path)} builds {built}: take them from bot.composition"


def test_the_composition_root_builds_them_all() -> None:
    assert constructions(parse(COMPOSITION_ROOT)) == COLLABORATORS


#: The core: what neither the AniList nor the calendar package may be imported by.
CORE = tuple(BOT / name for name in ("domain", "storage", "scheduling", "services"))


@pytest.mark.parametrize("path", [p for folder in CORE for p in modules(folder)], ids=rel)
def test_the_core_never_imports_the_calendar(path: Path) -> None:
    bad = sorted(name for name in imports_of(path) if within(name, ("bot.calendar",)))
    assert bad == [], f"{rel(path)} imports {bad}: the calendar speaks to the core, not back"


def test_the_calendar_is_checked() -> None:
    assert BOT / "services" / "calendar.py" in [p for f in CORE for p in modules(f)]
    assert "bot.calendar.feeds" in imports_of(BOT / "calendar" / "feature.py")
