"""Anti-pattern 3 pairs on a large tree: the indexed pairing finds exactly what comparing every
frontend site with every backend site finds, in the same order, with the same reasons."""

import re
import shutil
from pathlib import Path

import pytest

from polldetox.config import Config
from polldetox.findings import FileFacts, PollingSite, Route, SiteKind, Status
from polldetox.scan import engine, policy
from polldetox.scan.policy import is_backend, primary_table, url_matches_route

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
COPIES = 15
MODULES = 30

# A watcher broadcasting its table, and a panel that listens for two message types while it also
# polls an endpoint no route serves: linked by message type only.
WATCHER = """\
import asyncio


async def watch_item_{k}(pool, manager):
    while True:
        rows = await pool.fetch("SELECT id, state FROM item_log_{k} ORDER BY id")
        await manager.broadcast({{"type": "item_{k}_update", "data": [dict(r) for r in rows]}})
        await asyncio.sleep({seconds})
"""
PANEL = """\
import {{ useEffect, useState }} from 'react';

export function Item{k}Panel() {{
  const [rows, setRows] = useState<number[]>([]);
  useEffect(() => {{
    const socket = new WebSocket('/ws');
    socket.onmessage = (event) => {{
      const msg = JSON.parse(event.data);
      if (msg.type === 'item_{k}_update' || msg.type === 'item_{other}_update') setRows(msg.data);
    }};
    const timer = setInterval(() => {{
      fetch('/api/v1/item-{k}-stats').then((response) => response.json()).then(setRows);
    }}, {milliseconds});
    return () => {{
      clearInterval(timer);
      socket.close();
    }};
  }}, []);
  return <ul>{{rows.map((row) => <li key={{row}}>{{row}}</li>)}}</ul>;
}}
"""


@pytest.fixture(scope="module")
def large_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large")
    for copy in range(COPIES):
        shutil.copytree(DEMO, root / f"copy_{copy:02d}")
    for k in range(MODULES):
        watcher = root / "items" / "server" / f"watch_item_{k}.py"
        panel = root / "items" / "web" / f"Item{k}Panel.tsx"
        for path in (watcher, panel):
            path.parent.mkdir(parents=True, exist_ok=True)
        watcher.write_text(WATCHER.format(k=k, seconds=1 + k % 7), encoding="utf-8")
        other = (k * 7 + 3) % MODULES
        panel.write_text(PANEL.format(k=k, other=other, milliseconds=1000 * (2 + k % 5)), encoding="utf-8")
    return root


def _names_in(site: PollingSite) -> set[str]:
    words = re.findall(r"[A-Za-z][\w-]*", " ".join((site.query_key or "", *site.urls)))
    return {
        re.sub(r"_+", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", w.replace("-", "_"))).strip("_").lower()
        for w in words
    }


def reference_link(
    front: PollingSite, file: FileFacts, back: PollingSite, routes: list[Route]
) -> tuple[str, Route | None] | None:
    """Anti-pattern 3 as the standard states it, one frontend site against one backend site."""
    served = [(url, route) for url in front.urls for route in routes if url_matches_route(url, route.path)]
    for url, route in served:
        if set(back.tables) & set(route.tables) or set(back.message_types) & set(route.message_types):
            return f"{url} is served by {route.method} {route.path}, which reads {', '.join(route.tables)}", route
    if served:
        return None
    handled = set(back.message_types) & set(file.handled_message_types)
    if handled:
        return f"both sides handle the message type {', '.join(sorted(handled))}", None
    table = primary_table(back)
    if table in _names_in(front):
        return f"both read {table}", None
    return None


def test_indexed_pairs_equal_every_site_against_every_site(large_tree: Path, monkeypatch) -> None:
    seen: list[tuple[FileFacts, ...]] = []
    judge = policy.judge

    def recording_judge(facts, config):
        seen.append(tuple(facts))
        return judge(facts, config)

    monkeypatch.setattr(policy, "judge", recording_judge)
    config = Config(root=large_tree, cache=False)
    result = engine.scan([large_tree], config)
    (facts,) = seen
    violations = {(f.location, f.rule) for f in (*result.findings, *result.suppressed) if f.status == Status.VIOLATION}

    def polls(site: PollingSite, rules: tuple[str, ...]) -> bool:
        return any((site.location, rule) in violations for rule in rules)

    sites = [(site, file) for file in facts for site in file.sites]
    backend = [
        site for site, _ in sites if is_backend(site) and site.broadcasts and polls(site, ("PD101", "PD102", "PD103"))
    ]
    frontend = [
        (site, file)
        for site, file in sites
        if not is_backend(site)
        and site.kind != SiteKind.POLLING_ENGINE
        and polls(site, ("PD201", "PD202", "PD203", "PD204"))
    ]
    routes = [route for file in facts for route in file.routes]
    expected = []
    for front, file in frontend:
        for back in backend:
            link = reference_link(front, file, back, routes)
            if link is not None:
                reason, route = link
                expected.append((front.location, back.location, route.location if route else None, reason))
    expected.sort(key=lambda pair: (pair[0].path, pair[0].line, pair[0].column))  # stable, as reports sort

    pairs = [f for f in (*result.findings, *result.suppressed) if f.rule == "PD301"]
    pairs.sort(key=lambda f: (f.location.path, f.location.line, f.location.column))
    found = [
        (
            f.location,
            f.related[0].location,
            f.related[1].location if len(f.related) > 1 else None,
            re.search(r"broadcasts it \((.*)\)$", f.message).group(1),
        )
        for f in pairs
    ]
    assert found == expected
    reasons = {reason.split(" ")[1] for *_, reason in expected}
    assert {"is", "sides", "read"} <= reasons  # a route, a message type and a table each link some pair
    assert len(expected) > COPIES * COPIES  # every copy's panels pair with every copy's watchers
