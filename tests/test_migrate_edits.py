"""The codemods on their own: what they rewrite, what they keep byte for byte, and each shape they refuse."""

from __future__ import annotations

import re
import textwrap

import pytest

from polldetox.migrate.python_edits import Unsafe, Watcher, Wiring, migrate_watcher, wire_listener
from polldetox.migrate.ts_edits import HookUse, drop_unused_export, hook_query_key, migrate_query_site

WATCHER = Watcher("Feed.watch_orders", "on_orders_change")


def module(body: str) -> str:
    return textwrap.dedent(body).lstrip()


FEED = module(
    """
    import asyncio
    import time

    ORDERS_POLL_SECONDS = 5  # how often the dashboard refreshes


    class Feed:
        async def start(self) -> None:
            asyncio.create_task(self.watch_orders())

        async def watch_orders(self) -> None:
            # Orders reach the dashboard through this loop.
            while True:
                try:
                    rows = await self.pool.fetch("SELECT * FROM orders")  # newest first
                    await self.manager.broadcast({"type": "orders_update", "data": rows})
                except OSError:
                    await asyncio.sleep(30)  # back off
                await asyncio.sleep(ORDERS_POLL_SECONDS)
    """
)


def test_loop_becomes_the_callback_with_comments_kept_and_waits_gone() -> None:
    out = migrate_watcher(FEED, WATCHER)
    assert "async def on_orders_change(self, event: dict[str, Any]) -> None:" in out
    assert "# Orders reach the dashboard through this loop." in out
    assert '        rows = await self.pool.fetch("SELECT * FROM orders")  # newest first\n' in out
    assert '{"type": "orders_update", "data": rows}' in out
    assert "sleep" not in out and "while" not in out and "ORDERS_POLL_SECONDS" not in out
    assert "except OSError:\n            pass\n" in out  # the back-off went, the error is still caught
    assert "create_task" not in out
    assert "import time\n" in out  # untouched: the codemod only removes imports its own edit left unused
    assert "import asyncio" not in out
    assert "from typing import Any" in out


@pytest.mark.parametrize(
    ("loop", "reason"),
    [
        ("while True:\n    if x:\n        break\n    await asyncio.sleep(1)", "uses `break`"),
        ("while True:\n    if x:\n        continue\n    await asyncio.sleep(1)", "uses `continue`"),
        ("while True:\n    return\n", "returns"),
        ("while self.running:\n    await asyncio.sleep(1)", "runs while `self.running`"),
        ("while True:\n    await asyncio.wait_for(self.stop.wait(), 5)", "something other than a sleep"),
        ("last = None\nwhile True:\n    await asyncio.sleep(1)", "state before the loop (last)"),
        ("while True:\n    await asyncio.sleep(1)\nprint('done')", "statements follow the loop"),
    ],
)
def test_unsafe_loop_shapes_are_refused_with_the_reason(loop: str, reason: str) -> None:
    body = textwrap.indent(loop, " " * 8)
    source = f"import asyncio\n\n\nclass Feed:\n    async def watch_orders(self) -> None:\n{body}\n"
    with pytest.raises(Unsafe, match=reason.replace("(", r"\(").replace(")", r"\)")):
        migrate_watcher(source, WATCHER)


def test_a_synchronous_watcher_is_refused() -> None:
    source = "import time\n\n\ndef watch_orders():\n    while True:\n        time.sleep(1)\n"
    with pytest.raises(Unsafe, match="synchronous watcher"):
        migrate_watcher(source, Watcher("watch_orders", "on_orders_change"))


def test_a_watcher_started_in_an_unrecognised_way_is_refused() -> None:
    source = FEED.replace("asyncio.create_task(self.watch_orders())", "self._task = loop.run(self.watch_orders)")
    with pytest.raises(Unsafe, match="still used"):
        migrate_watcher(source, WATCHER)


LIFESPAN = module(
    """
    from contextlib import asynccontextmanager

    import asyncpg

    from app.feed import Feed


    @asynccontextmanager
    async def lifespan(app):
        pool = await asyncpg.create_pool(settings.database_url)
        feed = Feed(pool)
        await feed.start()
        yield
        await feed.stop()
    """
)
WIRING = Wiring("Feed", "on_orders_change", "orders_changed", "app.pg_listener")


def test_listener_is_started_after_the_owner_and_stopped_after_yield() -> None:
    out = wire_listener(LIFESPAN, WIRING)
    assert out is not None
    assert (
        "    await feed.start()\n    listener = PgListener(settings.database_url)\n"
        '    listener.register_callback("orders_changed", feed.on_orders_change)\n'
        '    listener.on_connect(lambda: feed.on_orders_change({"operation": "RESYNC"}))\n'
        "    await listener.start()\n"
    ) in out
    assert "    yield\n    await listener.stop()\n    await feed.stop()\n" in out
    assert "from app.feed import Feed\nfrom app.pg_listener import PgListener\n" in out
    again = wire_listener(out, Wiring("Feed", "on_refunds_change", "refunds_changed", "app.pg_listener"))
    assert again is not None and again.count("PgListener(") == 1
    assert again.count("await listener.start()") == 1
    assert again.index("refunds_changed") < again.index("await listener.start()")


def test_a_callback_whose_query_joins_other_tables_is_registered_for_their_channels_too() -> None:
    joined = Wiring("Feed", "on_orders_change", "orders_changed", "app.pg_listener", ("customers_changed",))
    out = wire_listener(LIFESPAN, joined)
    assert out is not None
    assert (
        '    listener.register_callback("orders_changed", feed.on_orders_change)\n'
        '    listener.register_callback("customers_changed", feed.on_orders_change)\n'
        '    listener.on_connect(lambda: feed.on_orders_change({"operation": "RESYNC"}))\n'
    ) in out


def test_no_startup_hook_gives_none_and_a_hook_without_a_pool_is_refused() -> None:
    assert wire_listener("def main():\n    pass\n", WIRING) is None
    with pytest.raises(Unsafe, match="no database pool"):
        wire_listener(LIFESPAN.replace("asyncpg.create_pool(settings.database_url)", "make_pool()"), WIRING)


PANEL = """\
import { useQuery } from '@tanstack/react-query';

import { ORDERS_POLL_MS, PAGE_SIZE } from '../config/polling';

export function OrdersPanel() {
  const { data } = useQuery({
    queryKey: ['orders'],
    queryFn: fetchOrders,
    refetchInterval: ORDERS_POLL_MS, // keep the list fresh
    refetchIntervalInBackground: true,
  });
  return <ul>{(data ?? []).slice(0, PAGE_SIZE).map((o) => <li key={o.id}>{o.id}</li>)}</ul>;
}
"""
HOOK = HookUse("useOrderWebSocket", "../hooks/useOrderWebSocket", "['orders'] as const")


def test_query_loses_its_polling_and_calls_the_hook() -> None:
    edit = migrate_query_site(PANEL, "OrdersPanel.tsx", 9, HOOK)
    assert "refetchInterval" not in edit.source
    assert "import { PAGE_SIZE } from '../config/polling';" in edit.source
    assert "import { useOrderWebSocket } from '../hooks/useOrderWebSocket';" in edit.source
    assert "export function OrdersPanel() {\n  useOrderWebSocket();\n  const { data } = useQuery({" in edit.source
    assert "    queryFn: fetchOrders,\n  });" in edit.source
    assert edit.removed_names == (("../config/polling", "ORDERS_POLL_MS"),)
    again = migrate_query_site(edit.source.replace("queryFn", "refetchInterval: 1,\n    queryFn"), "x.tsx", 10, HOOK)
    assert again.source.count("useOrderWebSocket();") == 1 and again.source.count("import { useOrderWebSocket }") == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("useQuery({", "useInfiniteQuery({"), "useInfiniteQuery keeps pages"),
        (("useQuery({", "useSWR('orders', fetchOrders, {"), "passed to useSWR, which is not one of the TanStack"),
        (("['orders']", "['orders', page]"), "is not the one useOrderWebSocket writes"),
    ],
)
def test_unsafe_query_shapes_are_refused(change: tuple[str, str], reason: str) -> None:
    with pytest.raises(Unsafe, match=reason):
        migrate_query_site(PANEL.replace(*change), "OrdersPanel.tsx", 9, HOOK)


def test_hook_query_key_and_unused_export() -> None:
    hook = (
        "const ordersKey = ['orders'] as const;\nfunction useOrders() {\n  client.setQueryData(ordersKey, rows);\n}\n"
    )
    assert hook_query_key(hook, "useOrderWebSocket.ts") == "['orders'] as const"
    assert hook_query_key("client.setQueryData(['orders'], rows);\n", "useOrderWebSocket.ts") == "['orders']"
    constants = "// ms\nexport const ORDERS_POLL_MS = 5000;\nexport const PAGE_SIZE = 20;\n"
    assert drop_unused_export(constants, "polling.ts", "ORDERS_POLL_MS") == "// ms\nexport const PAGE_SIZE = 20;\n"
    used = constants + "export const TWICE = ORDERS_POLL_MS * 2;\n"
    assert drop_unused_export(used, "polling.ts", "ORDERS_POLL_MS") is None


def test_a_cancellation_wrapper_goes_and_a_commented_out_start_stays() -> None:
    source = module(
        """
        import asyncio
        from typing import TYPE_CHECKING


        class Feed:
            async def start(self) -> None:
                self._tasks = [
                    asyncio.create_task(self.watch_orders()),
                    # asyncio.create_task(self.watch_refunds()),  # now event-driven
                    asyncio.create_task(self.watch_files()),
                ]

            async def watch_orders(self) -> None:
                try:
                    while True:
                        await self.manager.broadcast({"type": "orders_update"})
                        await asyncio.sleep(2)
                except asyncio.CancelledError:
                    logger.info("cancelled")
                    raise
        """
    )
    out = migrate_watcher(source, WATCHER)
    assert "CancelledError" not in out and "while" not in out
    assert '        await self.manager.broadcast({"type": "orders_update"})\n' in out
    assert (
        "        self._tasks = [\n"
        "            # asyncio.create_task(self.watch_refunds()),  # now event-driven\n"
        "            asyncio.create_task(self.watch_files()),\n"
        "        ]\n"
    ) in out
    assert "from typing import TYPE_CHECKING, Any\n" in out


def test_an_owner_built_at_module_level_is_found_through_the_hook() -> None:
    source = LIFESPAN.replace("        feed = Feed(pool)\n", "").replace(
        "@asynccontextmanager", "feed = Feed()\n\n\n@asynccontextmanager"
    )
    out = wire_listener(source, WIRING)
    assert out is not None
    assert "    await feed.start()\n    listener = PgListener(settings.database_url)\n" in out


ORDERS_VIEW = """\
import useSWR from 'swr';

export function OrdersView() {
  const { data } = useSWR('/api/orders', fetchOrders, { refreshInterval: 5000 });
  return <p>{data?.length}</p>;
}
"""
PUSHING_HOOK = HookUse("useOrderWebSocket", "../hooks/useOrderWebSocket", "['orders'] as const", on_change=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("const { data } = useSWR", "useSWR"), "the result of useSWR is not kept in a variable"),
        (("const { data }", "const [data]"), "destructured as an array"),
        (("{ data }", "{ data, ...rest }"), "destructured with a rest element: add mutate to it by hand"),
        (("<p>", "<p onClick={() => mutate}>"), "`mutate` already names something else in the component"),
        (("  return", "  useOrderWebSocket();\n  return"), "the component already calls useOrderWebSocket"),
        (("{ refreshInterval: 5000 }", "options"), "a plain `key: value` property"),
        (
            (
                "const { data } = useSWR('/api/orders', fetchOrders, { refreshInterval: 5000 });",
                "const { data } = useMemo(() => useSWR('/api/orders', fetchOrders, { refreshInterval: 5000 }), []);",
            ),
            "useSWR is called inside a nested function",
        ),
    ],
)
def test_unsafe_library_shapes_are_refused(change: tuple[str, str], reason: str) -> None:
    source = ORDERS_VIEW.replace(*change)
    with pytest.raises(Unsafe, match=re.escape(reason)):
        line = source.count("\n", 0, source.find("refreshInterval")) + 1
        migrate_query_site(source, "OrdersView.tsx", line, PUSHING_HOOK)


def test_swr_infinite_keeps_its_other_options_and_revalidates_every_page_with_its_mutate() -> None:
    source = (
        "import useSWRInfinite from 'swr/infinite';\n\nexport function History() {\n"
        "  const pages = useSWRInfinite(pageKey, fetchOrders, { refreshInterval: 5000, revalidateFirstPage: false });\n"
        "  return <p>{pages.data?.length}</p>;\n}\n"
    )
    edit = migrate_query_site(source, "History.tsx", 4, PUSHING_HOOK)
    assert edit.source == (
        "import useSWRInfinite from 'swr/infinite';\n"
        "import { useOrderWebSocket } from '../hooks/useOrderWebSocket';\n\nexport function History() {\n"
        "  const pages = useSWRInfinite(pageKey, fetchOrders, { revalidateFirstPage: false });\n"
        "  useOrderWebSocket({ onChange: () => void pages.mutate() });\n"
        "  return <p>{pages.data?.length}</p>;\n}\n"
    )
    assert edit.push == "useOrderWebSocket's onChange revalidates SWR's cache"
    rest = source.replace("const pages =", "const { data, ...pages } =")
    with pytest.raises(Unsafe, match=re.escape("the result of useSWRInfinite is destructured with a rest element")):
        migrate_query_site(rest, "History.tsx", 4, PUSHING_HOOK)


def test_rtk_query_with_skip_is_refused_and_a_shared_object_is_left_alone() -> None:
    source = (
        "import { useGetOrdersQuery } from './api';\n\nexport function Orders({ id }: { id?: number }) {\n"
        "  const { data } = useGetOrdersQuery(id, { skip: id === undefined, pollingInterval: 3000 });\n"
        "  return <p>{data?.length}</p>;\n}\n"
    )
    with pytest.raises(Unsafe, match=re.escape("passes `skip`, and RTK Query's refetch() throws")):
        migrate_query_site(source, "Orders.tsx", 4, PUSHING_HOOK)
    shared = ORDERS_VIEW.replace("{ refreshInterval: 5000 }", "polling")
    shared = "const polling = { refreshInterval: 5000 };\n" + shared
    with pytest.raises(Unsafe, match="an object built apart from the query call"):
        migrate_query_site(shared, "OrdersView.tsx", 1, PUSHING_HOOK)


def test_a_tanstack_query_on_another_key_is_invalidated_with_the_client_it_has() -> None:
    source = (
        PANEL.replace("['orders']", "['orders', 'open']")
        .replace("  const { data } = useQuery({", "  const client = useQueryClient();\n  const { data } = useQuery({")
        .replace("import { useQuery }", "import { useQuery, useQueryClient }")
    )
    edit = migrate_query_site(source, "OrdersPanel.tsx", 10, PUSHING_HOOK)
    assert (
        "    queryFn: fetchOrders,\n  });\n"
        "  useOrderWebSocket({ onChange: () => void client.invalidateQueries({ queryKey: ['orders', 'open'] }) });\n"
    ) in edit.source
    assert "useQueryClient();" in edit.source and edit.source.count("useQueryClient()") == 1
    assert edit.push == "useOrderWebSocket's onChange revalidates TanStack Query's cache"
