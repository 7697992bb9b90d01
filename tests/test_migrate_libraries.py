"""`polldetox migrate` on an app whose order views poll through SWR, Apollo, RTK Query, infinite queries, timers.

The app is first given the scaffolded stack (`polldetox scaffold orders`), as a user would, then
migrated: each view keeps its own cache and the generated hook's onChange refreshes it on push; an
effect's timer goes and the effect reruns its load when the hook's lastUpdated changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_fixtures.scans import REPO_ROOT, git, init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "migrate-orders"
NODE_MODULES = REPO_ROOT / "node_modules"
COMPONENTS = "app/client/src/components"


def run(*arguments: str, cwd: Path) -> Result:
    return CliRunner().invoke(app, [*arguments, "--root", str(cwd)] if arguments[0] == "migrate" else arguments)


def scaffolded(tmp_path: Path) -> Path:
    """The order app with `polldetox scaffold orders` committed on top of it."""
    root = Path(shutil.copytree(FIXTURE, tmp_path / "shop"))
    done = CliRunner().invoke(app, ["scaffold", "orders", "--out", str(root)])
    assert done.exit_code == 0, done.output
    init_repo(root)
    return root


def tsc(client: Path) -> subprocess.CompletedProcess[str]:
    link = client / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict"],
        cwd=client, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scaffolded(tmp_path_factory.mktemp("libraries"))
    before = tsc(root / "app/client")
    assert before.returncode == 0, before.stdout + before.stderr
    done = run("migrate", "orders", cwd=root)
    assert done.exit_code == 1, done.output  # the delivery watch's self-stopping timer is left to a person
    return root


SWR = """\
import useSWR from 'swr';

import { fetchJson } from '../api/http';
import type { OrderRow } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function OrdersTable() {
  const { data, error, isLoading, mutate } = useSWR<OrderRow[]>('/api/orders', fetchJson);
  useOrderWebSocket({ onChange: () => void mutate() });

  if (error) return <p role="alert">Orders could not be loaded.</p>;
  if (isLoading) return <p>Loading…</p>;
  return (
    <table>
      <tbody>
        {(data ?? []).map((order) => (
          <tr key={order.id}>
            <td>{order.customer}</td>
            <td>{order.status}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
"""

APOLLO = """\
import { gql, useQuery } from '@apollo/client';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

const OPEN_ORDERS = gql`
  query OpenOrders {
    orders(status: "open") {
      id
    }
  }
`;

export function OpenOrdersCount() {
  const { data, loading, refetch } = useQuery<{ orders: { id: number }[] }>(OPEN_ORDERS, {
    fetchPolicy: 'cache-and-network',
  });
  useOrderWebSocket({ onChange: () => void refetch() });
  return <span className="badge">{loading ? '…' : (data?.orders.length ?? 0)} open</span>;
}
"""

APOLLO_STARTED = """\
import { gql, useQuery } from '@apollo/client';

import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

const RECENT_ORDERS = gql`
  query RecentOrders {
    orders(latest: 3) {
      id
      customer
    }
  }
`;

export function OrderAlerts() {
  const { data, refetch } = useQuery<{ orders: { id: number; customer: string }[] }>(
    RECENT_ORDERS,
  );
  useOrderWebSocket({ onChange: () => void refetch() });

  return (
    <ul className="alerts">
      {(data?.orders ?? []).map((order) => (
        <li key={order.id}>New order from {order.customer}</li>
      ))}
    </ul>
  );
}
"""

RTK = """\
import { useGetOrdersQuery } from '../api/ordersApi';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function OrdersSummary() {
  const { data: orders = [], isFetching, refetch } = useGetOrdersQuery(undefined);
  useOrderWebSocket({ onChange: () => void refetch() });
  const total = orders.reduce((sum, order) => sum + order.total_cents, 0);
  return (
    <p aria-busy={isFetching}>
      {orders.length} orders, {(total / 100).toFixed(2)} €
    </p>
  );
}
"""

INFINITE = """\
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';

import { fetchJson } from '../api/http';
import { PAGE_SIZE } from '../config/polling';
import type { OrderPage } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function OrderFeed() {
  const { data, fetchNextPage, hasNextPage } = useInfiniteQuery({
    queryKey: ['orders', 'feed'],
    queryFn: ({ pageParam }) => fetchJson<OrderPage>(`/api/orders?page=${pageParam}&size=${PAGE_SIZE}`),
    initialPageParam: 0,
    getNextPageParam: (last) => last.next,
  });
  const queryClient = useQueryClient();
  useOrderWebSocket({ onChange: () => void queryClient.invalidateQueries({ queryKey: ['orders', 'feed'] }) });
  const orders = data?.pages.flatMap((page) => page.orders) ?? [];
  return (
    <section>
      <ul>
        {orders.map((order) => (
          <li key={order.id}>{order.customer}</li>
        ))}
      </ul>
      {hasNextPage && <button onClick={() => void fetchNextPage()}>More</button>}
    </section>
  );
}
"""


INTERVAL = """\
import { useEffect, useState } from 'react';

import type { OrderRow } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function LatestOrders() {
  const [orders, setOrders] = useState<OrderRow[]>([]);

  const { lastUpdated } = useOrderWebSocket();
  useEffect(() => {
    const load = () => {
      void fetch('/api/orders?latest=5')
        .then((response) => response.json() as Promise<OrderRow[]>)
        .then(setOrders);
    };
    load();
  }, [lastUpdated]);

  return (
    <ol>
      {orders.map((order) => (
        <li key={order.id}>{order.customer}</li>
      ))}
    </ol>
  );
}
"""

TIMEOUT = """\
import { useEffect, useState } from 'react';

import type { OrderRow } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function PackingQueue() {
  const [packing, setPacking] = useState<OrderRow[]>([]);

  const { lastUpdated } = useOrderWebSocket();
  useEffect(() => {
    let cancelled = false;
    const poll = async () => {
      const response = await fetch('/api/orders?status=packed');
      const rows = (await response.json()) as OrderRow[];
      if (!cancelled) {
        setPacking(rows);
      }
    };
    void poll();
    return () => {
      cancelled = true;
    };
  }, [lastUpdated]);

  return <p>{packing.length} orders waiting to ship</p>;
}
"""


INLINE = """\
import { useEffect, useState } from 'react';

import type { OrderRow } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function ShippingBoard() {
  const [shipped, setShipped] = useState<OrderRow[]>([]);

  const { lastUpdated } = useOrderWebSocket();
  useEffect(() => {
    const controller = new AbortController();
    const load = () => {
      fetch('/api/orders?status=shipped', { signal: controller.signal })
        .then((response) => response.json() as Promise<OrderRow[]>)
        .then(setShipped)
        .catch(() => undefined);
    };
    load();
    return () => {
      controller.abort();
    };
  }, [lastUpdated]);

  return <p>{shipped.length} shipped today</p>;
}
"""

INLINE_ASYNC = """\
import { useEffect, useState } from 'react';

import type { OrderRow } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

export function NewOrders() {
  const [fresh, setFresh] = useState<OrderRow[]>([]);

  const { lastUpdated } = useOrderWebSocket();
  useEffect(() => {
    const load = async () => {
      const response = await fetch('/api/orders?status=open');
      setFresh((await response.json()) as OrderRow[]);
    };
    void load();
  }, [lastUpdated]);

  return <p>{fresh.length} new orders</p>;
}
"""


SWR_INFINITE = """\
import useSWRInfinite from 'swr/infinite';

import { fetchJson } from '../api/http';
import { PAGE_SIZE } from '../config/polling';
import type { OrderPage } from '../types';
import { useOrderWebSocket } from '../hooks/useOrderWebSocket';

function pageKey(index: number, previous: OrderPage | null): string | null {
  if (previous && previous.next === null) return null;
  return `/api/orders?page=${index}&size=${PAGE_SIZE}`;
}

export function OrderHistory() {
  const { data, size, setSize, mutate } = useSWRInfinite<OrderPage>(pageKey, fetchJson);
  useOrderWebSocket({ onChange: () => void mutate() });
  const orders = data?.flatMap((page) => page.orders) ?? [];
  return (
    <section>
      <ul>
        {orders.map((order) => (
          <li key={order.id}>{order.customer}</li>
        ))}
      </ul>
      <button onClick={() => void setSize(size + 1)}>Older</button>
    </section>
  );
}
"""


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ("OrdersTable", SWR),
        ("OrderHistory", SWR_INFINITE),
        ("OpenOrdersCount", APOLLO),
        ("OrderAlerts", APOLLO_STARTED),
        ("OrdersSummary", RTK),
        ("OrderFeed", INFINITE),
        ("LatestOrders", INTERVAL),
        ("PackingQueue", TIMEOUT),
        ("ShippingBoard", INLINE),
        ("NewOrders", INLINE_ASYNC),
    ],
)
def test_each_library_keeps_its_cache_and_refreshes_it_on_push(migrated: Path, component: str, expected: str) -> None:
    assert (migrated / COMPONENTS / f"{component}.tsx").read_text() == expected


def test_interval_constants_nothing_uses_go(migrated: Path) -> None:
    polling = (migrated / "app/client/src/config/polling.ts").read_text()
    assert polling == "// How often each order view refreshes.\nexport const PAGE_SIZE = 25;\n"


def test_migrated_client_passes_tsc_strict(migrated: Path) -> None:
    after = tsc(migrated / "app/client")
    assert after.returncode == 0, after.stdout + after.stderr


def test_second_run_changes_nothing(migrated: Path) -> None:
    git("add", "-A", cwd=migrated)
    git("commit", "-q", "-m", "migrate orders", cwd=migrated)
    done = run("migrate", "orders", cwd=migrated)
    assert done.exit_code == 1, done.output
    assert "Changed" not in done.stdout and f"Skipped {COMPONENTS}/DeliveryWatch.tsx:9" in done.stdout
    assert git("status", "--porcelain", cwd=migrated) == ""


def test_json_plan_names_each_library_edit(tmp_path: Path) -> None:
    root = scaffolded(tmp_path)
    done = run("migrate", "orders", "--dry-run", "--format", "json", cwd=root)
    assert done.exit_code == 1, done.output
    plan = json.loads(done.stdout)
    edits = {edit["path"]: edit["reason"] for edit in plan["edits"]}
    assert edits[f"{COMPONENTS}/OrdersTable.tsx"] == (
        "useSWR refreshInterval in OrdersTable: polling option removed, useOrderWebSocket's onChange revalidates "
        "SWR's cache"
    )
    assert edits[f"{COMPONENTS}/OrderHistory.tsx"] == edits[f"{COMPONENTS}/OrdersTable.tsx"].replace(
        "OrdersTable", "OrderHistory"
    )
    assert "onChange revalidates Apollo's cache" in edits[f"{COMPONENTS}/OpenOrdersCount.tsx"]
    assert edits[f"{COMPONENTS}/OrderAlerts.tsx"] == (
        "Apollo startPolling in OrderAlerts: startPolling and stopPolling removed, useOrderWebSocket's onChange "
        "revalidates Apollo's cache"
    )
    assert "onChange revalidates RTK Query's cache" in edits[f"{COMPONENTS}/OrdersSummary.tsx"]
    assert "onChange revalidates TanStack Query's cache" in edits[f"{COMPONENTS}/OrderFeed.tsx"]
    assert edits["app/client/src/config/polling.ts"].startswith("the interval constant")
    assert edits[f"{COMPONENTS}/LatestOrders.tsx"] == (
        "setInterval in LatestOrders: the timer and its clear removed, the effect reruns on useOrderWebSocket()'s "
        "lastUpdated"
    )
    assert edits[f"{COMPONENTS}/PackingQueue.tsx"].startswith("recursive setTimeout in PackingQueue: the timer")
    assert edits[f"{COMPONENTS}/ShippingBoard.tsx"] == edits[f"{COMPONENTS}/LatestOrders.tsx"].replace(
        "LatestOrders", "ShippingBoard"
    )
    assert edits[f"{COMPONENTS}/NewOrders.tsx"].startswith("setInterval in NewOrders: the timer and its clear")
    assert plan["skipped"] == [
        {
            "path": f"{COMPONENTS}/DeliveryWatch.tsx",
            "line": 9,
            "reason": (
                "the setInterval callback uses its own handle `id` (it stops itself on a condition): replace it by hand"
            ),
        }
    ]
    assert git("status", "--porcelain", cwd=root) == ""


def test_a_hook_without_on_change_or_last_updated_leaves_each_site_with_the_reason(tmp_path: Path) -> None:
    root = scaffolded(tmp_path)
    hook = root / "app/client/src/hooks/useOrderWebSocket.ts"
    source = hook.read_text().replace("      options.onChange?.(rows.current);\n", "")
    hook.write_text(source.replace("    lastUpdated,\n    isConnected", "    isConnected"))
    git("commit", "-q", "-am", "hook without callback", cwd=root)
    done = run("migrate", "orders", "--dry-run", "--format", "json", cwd=root)
    assert done.exit_code == 1
    reasons = {skipped["path"]: skipped["reason"] for skipped in json.loads(done.stdout)["skipped"]}
    assert reasons[f"{COMPONENTS}/OrdersTable.tsx"] == (
        "useSWR keeps its own cache and useOrderWebSocket takes no onChange callback to refresh it: call the hook "
        "and refresh this query on each push by hand"
    )
    assert reasons[f"{COMPONENTS}/OrderFeed.tsx"].startswith("useInfiniteQuery keeps pages in its cache")
    assert reasons[f"{COMPONENTS}/OrderHistory.tsx"] == reasons[f"{COMPONENTS}/OrdersTable.tsx"].replace(
        "useSWR", "useSWRInfinite"
    )
    assert reasons[f"{COMPONENTS}/OrderAlerts.tsx"] == reasons[f"{COMPONENTS}/OrdersTable.tsx"].replace(
        "useSWR", "useQuery"
    )
    assert reasons[f"{COMPONENTS}/PackingQueue.tsx"] == (
        # The hook still keeps its lastUpdated state, which polldetox never overwrites.
        "useOrderWebSocket returns no lastUpdated to rerun the effect's load on each push, and polldetox cannot add "
        "one (`lastUpdated` already names something in app/client/src/hooks/useOrderWebSocket.ts): replace it by hand"
    )
    views = (
        "OrdersTable",
        "OpenOrdersCount",
        "OrdersSummary",
        "OrderFeed",
        "LatestOrders",
        "PackingQueue",
        "ShippingBoard",
        "NewOrders",
        "DeliveryWatch",
        "OrderAlerts",
        "OrderHistory",
    )
    assert set(reasons) == {f"{COMPONENTS}/{name}.tsx" for name in views}


def test_an_app_without_a_hook_gets_the_scaffolded_one_and_its_views_use_it(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURE, tmp_path / "shop"))
    init_repo(root)
    done = run("migrate", "orders", cwd=root)
    assert done.exit_code == 1, done.output  # the shipping board, as above
    created = {line.split(": ")[0].removeprefix("Changed ") for line in done.stdout.splitlines() if "scaffold" in line}
    assert {
        "app/client/src/hooks/useOrderWebSocket.ts",
        "app/client/src/hooks/useReconnectingWebSocket.ts",
        "app/client/src/config/api.ts",
        "app/server/routes/orders_websocket.py",
        "app/server/services/orders_events.py",
        "app/server/services/orders_listener.py",
    } <= created
    assert "app.include_router(orders_websocket_router(events))" in " ".join(done.stdout.split())
    assert (root / COMPONENTS / "OrdersTable.tsx").read_text() == SWR
    assert (root / COMPONENTS / "LatestOrders.tsx").read_text() == INTERVAL
    after = tsc(root / "app/client")
    assert after.returncode == 0, after.stdout + after.stderr
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "migrate orders", cwd=root)
    again = run("migrate", "orders", cwd=root)
    assert "Changed" not in again.stdout and git("status", "--porcelain", cwd=root) == ""
