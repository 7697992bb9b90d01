"""Rules for frontend polling: data-fetching libraries' interval options and timer loops."""

from polldetox.findings import Severity
from polldetox.rules import Invalid, Rule, Valid

COMPONENT = "app/client/src/components/QueuePanel.tsx"
HOOK = "app/client/src/hooks/useQueue.ts"

QUERY_REFETCH_INTERVAL = Rule(
    id="PD201",
    name="query-refetch-interval",
    summary="React/Vue Query refetches on a timer (refetchInterval) instead of subscribing",
    severity=Severity.ERROR,
    section="Examples & References > Example 3 (Planned Features); Template 5: Component Usage",
    what="""
Finds TanStack Query (React or Vue) `refetchInterval` set to a positive number, a constant, an
expression or a function in `useQuery`, `useQueries`, `useInfiniteQuery`, `useSuspenseQuery`,
`queryOptions(...)`, `new QueryClient({ defaultOptions: { queries: ... } })`, and option
objects defined elsewhere and spread or passed in. `refetchInterval: false` and `0` are not
polling. `refetchIntervalInBackground: true` raises the severity one level: the tab polls even
while nobody looks at it.
""",
    why="""
Every open browser tab re-requests the data every N seconds whether or not it changed; with the
backend also polling this doubles the load (Anti-Pattern 3), and the UI still lags by up to N
seconds. The standard prohibits polling in the main application UI.
""",
    example="""
```tsx
const { data: features } = useQuery({
  queryKey: ['planned-features'],
  queryFn: () => plannedFeaturesClient.getAll({ limit: 200 }),
  refetchInterval: 5 * 60 * 1000,
});
```
""",
    use_instead="""
Subscribe to pushed updates with a WebSocket hook (`polldetox scaffold planned_features`
generates `usePlannedFeaturesWebSocket`), and keep `useQuery` only for the initial fetch or a
manual refresh (`staleTime: Infinity` plus a Refresh button, Exception 4).
""",
    valid=(
        Valid(
            path=COMPONENT,
            code="""
import { useQuery } from '@tanstack/react-query';

export function QueuePanel() {
  const { data } = useQuery({ queryKey: ['queue'], queryFn: fetchQueue, refetchInterval: false });
  return <ul>{data?.map((item) => <li key={item.id}>{item.name}</li>)}</ul>;
}
""",
        ),
    ),
    invalid=(
        Invalid(
            path=COMPONENT,
            interval_seconds=300,
            code="""
import { useQuery } from '@tanstack/react-query';

export function PlansPanel() {
  const { data: features } = useQuery({
    queryKey: ['planned-features'],
    queryFn: () => plannedFeaturesClient.getAll({ limit: 200 }),
    refetchInterval: 5 * 60 * 1000,
  });
  return <div>{features?.length}</div>;
}
""",
        ),
    ),
)

CLIENT_POLL_INTERVAL = Rule(
    id="PD202",
    name="client-poll-interval",
    summary="SWR, Apollo or RTK Query polls on an interval",
    severity=Severity.ERROR,
    section="Core Principle (polling prohibited in the main application UI)",
    what="""
Finds the polling options of the other data-fetching libraries: SWR `refreshInterval`, Apollo
`pollInterval` and `startPolling(n)`, RTK Query `pollingInterval`.
""",
    why="""
The same as React Query polling: every client re-requests unchanged data on a timer, and
updates arrive up to one interval late.
""",
    example="""
```tsx
const { data } = useSWR('/api/v1/queue', fetcher, { refreshInterval: 3000 });
```
""",
    use_instead="""
A WebSocket hook fed by the backend's event broadcast (`polldetox scaffold <table>`); let the
library cache hold the data the socket pushes.
""",
    valid=(
        Valid(
            path=COMPONENT,
            code="""
import useSWR from 'swr';

export function QueuePanel() {
  const { data } = useSWR('/api/v1/queue', fetcher);
  return <div>{data?.length}</div>;
}
""",
        ),
    ),
    invalid=(
        Invalid(
            path=COMPONENT,
            interval_seconds=3,
            code="""
import useSWR from 'swr';

export function QueuePanel() {
  const { data } = useSWR('/api/v1/queue', fetcher, { refreshInterval: 3000 });
  return <div>{data?.length}</div>;
}
""",
        ),
    ),
)

INTERVAL_FETCH = Rule(
    id="PD203",
    name="interval-fetch",
    summary="setInterval or a recursive setTimeout fetches data on a timer",
    severity=Severity.ERROR,
    section="Anti-Patterns to Avoid > Anti-Pattern 1: Polling in Component",
    what="""
Finds `setInterval` callbacks, and `setTimeout` callbacks that re-arm themselves, which fetch
data: `fetch`, axios, ky, an API client method, `refetch()`, `invalidateQueries`, a dispatched
fetch thunk, directly or through a function defined in the same file. Found in function
components, hooks, class components (`componentDidMount`) and context providers. Clocks,
countdowns, animations, WebSocket heartbeats, reconnect timers and debounces fetch nothing and
are not reported.
""",
    why="""
It duplicates the backend's work once per open tab, with no coordination between clients, and
keeps requesting while nothing changes.
""",
    example="""
```tsx
useEffect(() => {
  const interval = setInterval(async () => {
    setData(await fetchData());
  }, 30000);
  return () => clearInterval(interval);
}, []);
```
""",
    use_instead="""
```tsx
const { data, isConnected } = useDataWebSocket();
```
""",
    valid=(
        Valid(
            path=COMPONENT,
            code="""
import { useEffect, useState } from 'react';

export function Clock() {
  const [now, setNow] = useState(new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(id);
  }, []);
  return <span>{now.toLocaleTimeString()}</span>;
}
""",
        ),
    ),
    invalid=(
        Invalid(
            path=COMPONENT,
            interval_seconds=30,
            code="""
import { useEffect, useState } from 'react';

export function StatusPanel() {
  const [data, setData] = useState(null);
  useEffect(() => {
    const interval = setInterval(async () => {
      const response = await fetch('/api/v1/status');
      setData(await response.json());
    }, 30000);
    return () => clearInterval(interval);
  }, []);
  return <pre>{JSON.stringify(data)}</pre>;
}
""",
        ),
    ),
)

POLLING_ENGINE = Rule(
    id="PD204",
    name="polling-engine",
    summary="A helper wraps setInterval and is handed a fetch function to poll with",
    severity=Severity.ERROR,
    section="Anti-Patterns to Avoid > Anti-Pattern 1; Migration Checklist > Cleanup (delete unused polling utilities)",
    what="""
Finds home-grown polling utilities (`usePolling(fn, ms)`, `createPoller(...)`): a function
that wraps `setInterval` or a re-arming `setTimeout` around a callback it is given. The engine
is reported once, and every call site that hands it a fetch function is reported on its own.
""",
    why="""
A polling engine hides polling behind a friendly name, so every new feature polls by default;
each call site carries the full cost of Anti-Pattern 1.
""",
    example="""
```ts
export function usePolling(fn: () => void, ms: number) {
  useEffect(() => { const id = setInterval(fn, ms); return () => clearInterval(id); }, [fn, ms]);
}
usePolling(() => api.getQueue().then(setQueue), 3000);
```
""",
    use_instead="""
Replace each call site with the data type's WebSocket hook, then delete the engine (the
Migration Checklist's cleanup step).
""",
    valid=(
        Valid(
            path=HOOK,
            code="""
import { useEffect } from 'react';

export function useTicker(onTick: () => void) {
  useEffect(() => {
    const id = requestAnimationFrame(onTick);
    return () => cancelAnimationFrame(id);
  }, [onTick]);
}
""",
        ),
    ),
    invalid=(
        Invalid(
            path=HOOK,
            code="""
import { useEffect } from 'react';

export function usePolling(fn: () => void, ms: number) {
  useEffect(() => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  }, [fn, ms]);
}

export function useQueue(setQueue: (q: unknown) => void) {
  usePolling(() => { fetch('/api/v1/queue').then((r) => r.json()).then(setQueue); }, 3000);
}
""",
        ),
    ),
)

MANUAL_REFRESH = Rule(
    id="PD205",
    name="manual-refresh",
    summary="Data is fetched once and refreshed by hand (allowed: Exception 4)",
    severity=Severity.INFO,
    section="Exception Cases > Exception 4: Data Changes Infrequently",
    what="""
Reports queries with `staleTime: Infinity` that are refreshed by a user action (`refetch()`
from a button) as an allowed exception, so the inventory of data sources is complete.
""",
    why="""
Not bad: the standard accepts a manual refresh for data that changes rarely. It still prefers a
WebSocket subscription, so it is listed at `info` severity as a candidate for migration.
""",
    example="""
```tsx
const { data, refetch } = useQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity });
return <button onClick={() => refetch()}>Refresh Config</button>;
```
""",
    use_instead="""
Keep it, with a visible "last updated" timestamp; or, preferred, `useConfigWebSocket()`.
""",
    valid=(
        Valid(
            path=COMPONENT,
            code="""
import { useQuery } from '@tanstack/react-query';

export function ConfigPanel() {
  const { data } = useQuery({ queryKey: ['config'], queryFn: fetchConfig });
  return <div>{data?.name}</div>;
}
""",
        ),
    ),
    invalid=(
        Invalid(
            path=COMPONENT,
            status="allowed",
            severity="info",
            exception="manual_refresh",
            code="""
import { useQuery } from '@tanstack/react-query';

export function ConfigPanel() {
  const { data, refetch } = useQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity });
  return (
    <div>
      <button onClick={() => refetch()}>Refresh Config</button>
      <div>Last updated: {data?.timestamp}</div>
    </div>
  );
}
""",
        ),
    ),
)

RULES = (QUERY_REFETCH_INTERVAL, CLIENT_POLL_INTERVAL, INTERVAL_FETCH, POLLING_ENGINE, MANUAL_REFRESH)
