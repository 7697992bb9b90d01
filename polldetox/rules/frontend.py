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
polling, and neither is a settings object whose key is merely named like the option: a constant
the file only reads values from is followed to the query or timer its number reaches.
`refetchIntervalInBackground: true` raises the severity one level: the tab polls even
while nobody looks at it. An interval that runs only while the WebSocket is down
(`isConnected ? false : 5000`, `enabled: !isConnected`, `inFallbackMode ? 5000 : false`) is the
standard's emergency fallback (Exception 3): allowed when it logs a warning, tries to reconnect
and stops within 5 minutes, and reported with whatever of those it lacks.
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
        Valid(
            path=COMPONENT,
            code="""
// refetchInterval: 5000 was replaced by useQueueWebSocket()
import { useQuery } from '@tanstack/react-query';

const HELP = 'pass refetchInterval: 3000 to poll';

export function QueuePanel() {
  const { data } = useQuery({ queryKey: ['queue'], queryFn: fetchQueue, refetchInterval: 0 });
  return <p title={HELP}>{data?.length}</p>;
}
""",
        ),
        Valid(
            path="app/client/src/lib/queryClient.ts",
            code="""
import { QueryClient } from '@tanstack/react-query';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, refetchInterval: false, refetchOnWindowFocus: false } },
});
""",
        ),
        Valid(
            path="app/client/src/config/ui.ts",
            code="""
const UI_SETTINGS = {
  queue: { pageSize: 50, refetchInterval: 30_000 },
  toasts: { durationMs: 4000 },
};

export const pageSize = UI_SETTINGS.queue.pageSize;
export const toastDuration = UI_SETTINGS.toasts.durationMs;
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
    refetchInterval: 5 * 60 * 1000,  // expect: PD201
  });
  return <div>{features?.length}</div>;
}
""",
        ),
        Invalid(
            path=COMPONENT,
            interval_seconds=3,
            extra_files=(("app/client/src/config/polling.ts", "export const QUEUE_POLL_MS = 3_000;\n"),),
            code="""
import { useQuery } from '@tanstack/react-query';
import { QUEUE_POLL_MS } from '../config/polling';

export function QueuePanel() {
  const { data } = useQuery({
    queryKey: ['queue'],
    queryFn: fetchQueue,
    refetchInterval: QUEUE_POLL_MS,  // expect: PD201
  });
  return <div>{data?.length}</div>;
}
""",
        ),
        Invalid(
            path=HOOK,
            interval_seconds=10,
            code="""
import { useQuery } from '@tanstack/react-query';

const livePolling = { refetchInterval: 10_000 } as const;  // expect: PD201

export function useQueue() {
  return useQuery({ queryKey: ['queue'], queryFn: () => queueClient.getAll(), ...livePolling });
}
""",
        ),
        Invalid(
            path=HOOK,
            interval_seconds=2,
            code="""
import { queryOptions } from '@tanstack/react-query';

export const agentQuery = (id: string) =>
  queryOptions({
    queryKey: ['agents', id],
    queryFn: () => agentsClient.get(id),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 2000 : false),  // expect: PD201
  });
""",
        ),
        Invalid(
            path="app/client/src/lib/queryClient.ts",
            interval_seconds=60,
            code="""
import { QueryClient } from '@tanstack/react-query';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchInterval: 60_000 } },  // expect: PD201
});
""",
        ),
        Invalid(
            path=HOOK,
            status="allowed",
            severity="info",
            exception="fallback",
            interval_seconds=5,
            code="""
import { useQuery } from '@tanstack/react-query';

const MAX_FALLBACK_MS = 5 * 60 * 1000;

export function useQueueFeed() {
  const { isConnected, inFallbackMode, fallbackStartedAt } = useReliableWebSocket({
    url: '/ws/queue',
    onFallback: () => console.warn('[WS] Fallback to polling - WebSocket failed'),
  });
  const query = useQuery({
    queryKey: ['queue'],
    queryFn: () => queueClient.getAll(),
    refetchInterval: isConnected ? false : 5000,  // expect: PD201
  });
  const fallbackDuration = Date.now() - fallbackStartedAt;
  if (inFallbackMode && fallbackDuration > MAX_FALLBACK_MS) {
    window.location.reload();
  }
  return query;
}
""",
        ),
        Invalid(
            path=HOOK,
            status="allowed",
            severity="warning",
            exception="fallback",
            missing=(
                "logs a WARNING when the fallback activates",
                "attempts to restore the event-driven connection",
                "has a maximum fallback duration (5 minutes)",
            ),
            code="""
import { useQuery } from '@tanstack/react-query';

export function useQueueFeed(isConnected: boolean) {
  return useQuery({
    queryKey: ['queue'],
    queryFn: () => queueClient.getAll(),
    refetchInterval: 5000,  // expect: PD201
    enabled: !isConnected,
  });
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
        Valid(
            path=COMPONENT,
            code="""
import { useQuery } from '@apollo/client';

export function OrdersPanel() {
  const { data } = useQuery(GET_ORDERS, { fetchPolicy: 'cache-and-network' });
  const { data: stock } = useGetStockQuery(undefined, { pollingInterval: 0 });
  return <div>{data?.orders.length} {stock?.length}</div>;
}
""",
        ),
        Valid(
            path=COMPONENT,
            code="""
import { create } from 'zustand';

// A stored preference, not a query's options: it polls only where a query hook is handed it.
export const useSettingsStore = create((set) => ({
  pollingInterval: 5,
  setSettings: (settings) => set(settings),
}));
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
  const { data } = useSWR('/api/v1/queue', fetcher, { refreshInterval: 3000 });  // expect: PD202
  return <div>{data?.length}</div>;
}
""",
        ),
        Invalid(
            path=COMPONENT,
            interval_seconds=10,
            code="""
import { useQuery } from '@apollo/client';

export function OrdersPanel() {
  const { data } = useQuery(GET_ORDERS, { pollInterval: 10_000 });  // expect: PD202
  return <div>{data?.orders.length}</div>;
}
""",
        ),
        Invalid(
            path=COMPONENT,
            interval_seconds=5,
            code="""
import { useQuery } from '@apollo/client';

export function StockPanel() {
  const { data, startPolling, stopPolling } = useQuery(GET_STOCK);
  useEffect(() => {
    startPolling(5000);  // expect: PD202
    return stopPolling;
  }, [startPolling, stopPolling]);
  return <div>{data?.stock.length}</div>;
}
""",
        ),
        Invalid(
            path=COMPONENT,
            interval_seconds=3,
            code="""
export function JobsPanel() {
  const { data } = useGetJobsQuery(undefined, { pollingInterval: 3000 });  // expect: PD202
  return <div>{data?.length}</div>;
}
""",
        ),
    ),
)

INTERVAL_FETCH = Rule(
    id="PD203",
    name="interval-fetch",
    summary="setInterval, a recursive setTimeout or an RxJS interval fetches data on a timer",
    severity=Severity.ERROR,
    section="Anti-Patterns to Avoid > Anti-Pattern 1: Polling in Component",
    what="""
Finds `setInterval` callbacks, and `setTimeout` callbacks that re-arm themselves, which fetch
data: `fetch`, axios, ky, an API client method, `refetch()`, `invalidateQueries`, a dispatched
fetch thunk, directly or through a function defined in the same file. Found in function
components, hooks, class components (`componentDidMount`) and context providers. RxJS timers
count too, in Angular services and components and anywhere else: `interval(n)` or
`timer(d, n)` piped into `switchMap`/`mergeMap`/`exhaustMap`/`concatMap` (or `tap`,
`subscribe`) that call HttpClient, fetch, `ajax` or a fetching service method, and a fetch
re-subscribed on a clock with `repeat({ delay })` or `expand(() => ... delay(n))`; a one-shot
`timer(n)`, `retry`, `debounceTime` and a paging `expand` are not polling. Promise-paced loops
count as well (`while (true) { await fetch(...); await sleep(n); }`, async recursion, a
`sleep(n).then(() => poll())` chain), as do jQuery `$.ajax`/`$.get`/`$.getJSON`/`$.post` reads
and DataTables `ajax.reload()`; in classic scripts without modules, a timer calling a global
helper that another of the page's scripts defines and that fetches. Clocks,
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
        Valid(
            path=HOOK,
            code="""
import { useCallback, useEffect, useRef } from 'react';

export function useQueueWebSocket(url: string, onUpdate: (items: unknown) => void) {
  const socket = useRef<WebSocket | null>(null);
  const connect = useCallback(() => {
    const ws = new WebSocket(url);
    socket.current = ws;
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'queue_update') onUpdate(message.data);
    };
    ws.onclose = () => {
      setTimeout(connect, 2000);
    };
  }, [url, onUpdate]);
  useEffect(() => {
    connect();
    const heartbeat = setInterval(() => socket.current?.send(JSON.stringify({ type: 'ping' })), 30000);
    return () => clearInterval(heartbeat);
  }, [connect]);
}
""",
        ),
        Valid(
            path=COMPONENT,
            code="""
import { useEffect, useState } from 'react';

export function SearchBox({ onSearch }: { onSearch: (q: string) => void }) {
  const [query, setQuery] = useState('');
  const [remaining, setRemaining] = useState(60);
  useEffect(() => {
    const debounce = setTimeout(() => onSearch(query), 300);
    return () => clearTimeout(debounce);
  }, [query, onSearch]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      setRemaining((seconds) => seconds - 1);
      timer = setTimeout(tick, 1000);
    };
    timer = setTimeout(tick, 1000);
    return () => clearTimeout(timer);
  }, []);
  return <input value={query} onChange={(e) => setQuery(e.target.value)} title={`${remaining}s`} />;
}
""",
        ),
        Valid(
            path=COMPONENT,
            code="""
import { useEffect, useState } from 'react';
import axios from 'axios';
import { loadImage } from '../lib/images';

export function Slideshow({ sessionId, slides }: { sessionId: string; slides: string[] }) {
  const [index, setIndex] = useState(0);
  useEffect(() => {
    const keepAlive = setInterval(() => axios.post('/api/v1/session/keepalive', { sessionId }), 60_000);
    const upcoming = slides[(index + 1) % slides.length];
    const next = setInterval(() => loadImage(upcoming).then(() => setIndex((i) => i + 1)), 5000);
    return () => {
      clearInterval(keepAlive);
      clearInterval(next);
    };
  }, [sessionId, slides, index]);
  return <img src={slides[index % slides.length]} alt="" />;
}
""",
        ),
        Valid(
            path="app/client/src/app/search/search.component.ts",
            code="""
import { Component } from '@angular/core';
import { HttpClient } from '@angular/common/http';
import { Subject, interval, timer } from 'rxjs';
import { debounceTime, map, retry, switchMap } from 'rxjs/operators';

@Component({ selector: 'app-search', templateUrl: './search.component.html' })
export class SearchComponent {
  readonly terms = new Subject<string>();
  readonly results$ = this.terms.pipe(
    debounceTime(300),
    switchMap((term) => this.http.get<Item[]>('/api/v1/search', { params: { term } })),
    retry({ count: 3, delay: 1000 }),
  );
  readonly banner$ = timer(500).pipe(switchMap(() => this.http.get<Banner>('/api/v1/banner')));
  readonly now$ = interval(1000).pipe(map(() => new Date()));

  constructor(private readonly http: HttpClient) {}
}
""",
        ),
        Valid(
            path="app/client/src/lib/queryClient.ts",
            code="""
import { QueryClient } from '@tanstack/react-query';

export const queryClient = new QueryClient();

async function refreshAccessToken() {
  const response = await fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'include' });
  sessionStorage.setItem('token', (await response.json()).token);
}

setInterval(() => {
  if (document.visibilityState === 'visible') void refreshAccessToken();
}, 30_000);
setInterval(() => queryClient.refetchQueries({ queryKey: ['exchange-token'] }), 60_000);
""",
        ),
        Valid(
            path="public/js/admin/status.js",
            code="""
$(function () {
  setInterval(function () {
    $('#clock').text(new Date().toLocaleTimeString());
  }, 1000);
  var socket = new WebSocket('wss://' + location.host + '/ws/status');
  socket.onclose = function () {
    setTimeout(function () { $.getJSON('/api/v1/status', render); location.reload(); }, 5000);
  };
});
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
    const interval = setInterval(async () => {  // expect: PD203
      const response = await fetch('/api/v1/status');
      setData(await response.json());
    }, 30000);
    return () => clearInterval(interval);
  }, []);
  return <pre>{JSON.stringify(data)}</pre>;
}
""",
        ),
        Invalid(
            path=COMPONENT,
            interval_seconds=15,
            code="""
import React from 'react';

export class QueueTable extends React.Component {
  componentDidMount() {
    this.timer = setInterval(this.loadItems, 15000);  // expect: PD203
  }
  componentWillUnmount() {
    clearInterval(this.timer);
  }
  loadItems = async () => {
    this.setState({ items: await queueClient.getAll() });
  };
  render() {
    return <ol>{this.state.items.length}</ol>;
  }
}
""",
        ),
        Invalid(
            path="app/client/src/contexts/NotificationsContext.tsx",
            interval_seconds=60,
            code="""
import { useCallback, useEffect, useState } from 'react';

export function NotificationsProvider({ children }) {
  const [items, setItems] = useState([]);
  const refresh = useCallback(async () => setItems(await (await fetch('/api/v1/notifications')).json()), []);
  useEffect(() => {
    const id = setInterval(() => void refresh(), 60_000);  // expect: PD203
    return () => clearInterval(id);
  }, [refresh]);
  return <NotificationsContext.Provider value={items}>{children}</NotificationsContext.Provider>;
}
""",
        ),
        Invalid(
            path=HOOK,
            interval_seconds=4,
            code="""
import { useEffect, useState } from 'react';

export function useDeploymentStatus(id: string) {
  const [deployment, setDeployment] = useState(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      setDeployment(await deploymentsClient.getStatus(id));
      timer = setTimeout(poll, 4000);  // expect: PD203
    };
    void poll();
    return () => clearTimeout(timer);
  }, [id]);
  return deployment;
}
""",
        ),
        Invalid(
            path="app/client/src/components/DeployLog.jsx",
            interval_seconds=5,
            code="""
import { useEffect, useState } from 'react';
import axios from 'axios';

export default function DeployLog({ deploymentId }) {
  const [lines, setLines] = useState([]);
  useEffect(() => {
    const timer = window.setInterval(() => {  // expect: PD203
      axios.get(`/api/v1/deployments/${deploymentId}/log`).then((response) => setLines(response.data.lines));
    }, 5000);
    return () => clearInterval(timer);
  }, [deploymentId]);
  return <pre>{lines.join('\\n')}</pre>;
}
""",
        ),
        Invalid(
            path="app/client/src/utils/quota.js",
            interval_seconds=120,
            code="""
const QUOTA_CHECK_MS = Number(import.meta.env.VITE_QUOTA_CHECK_MS ?? 120000);

export function startQuotaWatch(onQuota) {
  return setInterval(async () => {  // expect: PD203
    const response = await fetch('/api/v1/usage/quota');
    onQuota(await response.json());
  }, QUOTA_CHECK_MS);
}
""",
        ),
        Invalid(
            path="app/client/src/app/services/queue-status.service.ts",
            interval_seconds=10,
            code="""
import { Injectable } from '@angular/core';
import { HttpClient } from '@angular/common/http';
import { Observable, timer } from 'rxjs';
import { shareReplay, switchMap } from 'rxjs/operators';

const REFRESH_MS = 10_000;

@Injectable({ providedIn: 'root' })
export class QueueStatusService {
  readonly status$: Observable<QueueStatus> = timer(0, REFRESH_MS).pipe(  // expect: PD203
    switchMap(() => this.http.get<QueueStatus>('/api/v1/queue/status')),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  constructor(private readonly http: HttpClient) {}
}
""",
        ),
        Invalid(
            path="app/client/src/app/jobs/job-list.component.ts",
            interval_seconds=30,
            code="""
import { Component, OnInit } from '@angular/core';
import { HttpClient } from '@angular/common/http';
import { repeat } from 'rxjs';

@Component({ selector: 'app-job-list', templateUrl: './job-list.component.html' })
export class JobListComponent implements OnInit {
  jobs: Job[] = [];

  constructor(private readonly http: HttpClient) {}

  ngOnInit(): void {
    this.http.get<Job[]>('/api/v1/jobs').pipe(repeat({ delay: 30_000 }))  // expect: PD203
      .subscribe((jobs) => (this.jobs = jobs));
  }
}
""",
        ),
        Invalid(
            path="public/js/admin/queue.js",
            interval_seconds=10,
            code="""
$(function () {
  var table = $('#queue').DataTable({ ajax: '/admin/api/queue' });
  setInterval(function () {  // expect: PD203
    table.ajax.reload(null, false);
  }, 10000);
});
""",
        ),
        Invalid(
            path="app/client/src/hooks/useBuild.ts",
            interval_seconds=3,
            code="""
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function watchBuild(id: string, onUpdate: (build: Build) => void): Promise<void> {
  const response = await fetch(`/api/v1/builds/${id}`);
  onUpdate(await response.json());
  await sleep(3000);  // expect: PD203
  return watchBuild(id, onUpdate);
}
""",
        ),
        Invalid(
            path="static/js/jobs_page.js",
            interval_seconds=20,
            extra_files=(
                (
                    "static/js/common.js",
                    """
function showRunningJobs() {
  $.getJSON('/jobs/running.json', function (jobs) {
    $('#running').text(jobs.length);
  });
}
""",
                ),
            ),
            code="""
$(function () {
  showRunningJobs();
  setInterval(showRunningJobs, 20000);  // expect: PD203
});
""",
        ),
        Invalid(
            path="app/templates/dashboard.html",
            interval_seconds=5,
            polls="http",
            code="""
{% extends "base.html" %}
{% block scripts %}
<script>
  const statusUrl = "{% url 'dashboard-status' %}";
  function refresh() {
    fetch(statusUrl).then((r) => r.json()).then(render);
  }
  setInterval(refresh, 5000);  // expect: PD203
</script>
{% endblock %}
""",
        ),
        Invalid(
            path="assets/js/pages/statistics.js",
            interval_seconds=300,
            polls="http",
            code="""
import $ from 'jquery';
import api from '../api';

const graphs = {
  '#solves-graph': { data: () => api.get_solve_statistics(), draw: drawBars },
  '#users-graph': { data: () => api.get_user_statistics(), draw: drawPie },
};

function updateGraphs() {
  for (const key in graphs) {
    const cfg = graphs[key];
    cfg.data().then((response) => cfg.draw(key, response));
  }
}

$(() => {
  updateGraphs();
  setInterval(updateGraphs, 300000);  // expect: PD203
});
""",
        ),
        Invalid(
            path="assets/js/scoreboard.js",
            interval_seconds=300,
            polls="http",
            code="""
import Alpine from 'alpinejs';
import App from './index';

Alpine.data('ScoreboardList', () => ({
  standings: [],

  async update() {
    this.standings = await App.pages.scoreboard.getStandings();
  },

  init() {
    this.update();
    setInterval(() => this.update(), 300000);  // expect: PD203
  },
}));
""",
        ),
        Invalid(
            path="app/client/src/widgets/EmbeddedStatus.jsx",
            interval_seconds=60,
            polls="http",
            code="""
import { useEffect, useState } from 'react';

export function EmbeddedStatus({ src }) {
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setReloads((n) => n + 1), 60_000);  // expect: PD203
    return () => clearInterval(id);
  }, []);
  return <iframe key={`status-${reloads}`} src={src} title="status" />;
}
""",
        ),
        Invalid(
            path="app/client/src/components/RefreshSettings.vue",
            polls="http",
            code="""
<template>
  <select v-model="seconds" @change="restart"><option value="30">30 s</option></select>
</template>

<script setup>
import { ref } from 'vue';

const emit = defineEmits(['refreshData', 'update:modelValue']);
const seconds = ref(localStorage.getItem('refresh') || '300');
let timer = null;

const refreshData = () => emit('refreshData');

function restart() {
  clearInterval(timer);
  timer = setInterval(() => refreshData(), seconds.value * 1000);  // expect: PD203
}
</script>
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
        Valid(
            path=COMPONENT,
            code="""
import { useState } from 'react';
import { useInterval } from '../hooks/useInterval';

export function Clock() {
  const [now, setNow] = useState(new Date());
  useInterval(() => setNow(new Date()), 1000);
  return <time>{now.toLocaleTimeString()}</time>;
}
""",
        ),
        Valid(
            path=COMPONENT,
            code="""
import { useEffect, useRef } from 'react';

export function Editor({ autoSave, onSave }: { autoSave: boolean; onSave: (text: string) => void }) {
  const editorRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!autoSave) return undefined;
    const id = setInterval(() => onSave(editorRef.current?.value ?? ''), 5000);
    return () => clearInterval(id);
  }, [autoSave, onSave]);
  return <textarea ref={editorRef} />;
}
""",
        ),
        Valid(
            path=HOOK,
            code="""
export function debounce(fn: () => void, wait = 99) {
  let id: ReturnType<typeof setTimeout> | null = null;
  let timestamp = 0;
  const check = () => {
    const last = Date.now() - timestamp;
    if (last < wait) {
      id = setTimeout(check, wait - last);
    } else {
      id = null;
      fn();
    }
  };
  return () => {
    timestamp = Date.now();
    if (!id) id = setTimeout(check, wait);
  };
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
    const id = setInterval(fn, ms);  // expect: PD204
    return () => clearInterval(id);
  }, [fn, ms]);
}

export function useQueue(setQueue: (q: unknown) => void) {
  usePolling(() => { fetch('/api/v1/queue').then((r) => r.json()).then(setQueue); }, 3000);  // expect: PD204
}
""",
        ),
        Invalid(
            path="app/client/src/components/AgentActivityPanel.tsx",
            interval_seconds=20,
            extra_files=(
                (
                    HOOK,
                    """
import { useEffect, useRef } from 'react';

export function usePolling(callback: () => void, intervalMs: number) {
  const saved = useRef(callback);
  useEffect(() => {
    saved.current = callback;
  }, [callback]);
  useEffect(() => {
    const id = setInterval(() => saved.current(), intervalMs);  // expect: PD204
    return () => clearInterval(id);
  }, [intervalMs]);
}
""",
                ),
            ),
            code="""
import { useCallback, useState } from 'react';
import { usePolling } from '../hooks/useData';

export function AgentActivityPanel() {
  const [events, setEvents] = useState<string[]>([]);
  const loadActivity = useCallback(async () => setEvents(await agentsClient.activity()), []);
  usePolling(loadActivity, 20_000);  // expect: PD204
  return <ul>{events.length}</ul>;
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
        Valid(
            path=COMPONENT,
            code="""
import { useQuery } from '@tanstack/react-query';

export function ConfigPanel() {
  const { data } = useQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity });
  return <div>Environment: {data?.environment}</div>;
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
  const { data, refetch } = useQuery({
    queryKey: ['config'],
    queryFn: fetchConfig,
    staleTime: Infinity,  // expect: PD205
  });
  return (
    <div>
      <button onClick={() => refetch()}>Refresh Config</button>
      <div>Last updated: {data?.timestamp}</div>
    </div>
  );
}
""",
        ),
        Invalid(
            path=COMPONENT,
            status="allowed",
            severity="info",
            exception="manual_refresh",
            code="""
import { useQuery } from '@tanstack/react-query';

export function ConfigPanel() {
  const { data, refetch: reload, isFetching } = useQuery({
    queryKey: ['config'],
    queryFn: () => configClient.get(),
    staleTime: Infinity,  // expect: PD205
  });
  const handleRefresh = () => {
    void reload();
  };
  return (
    <div>
      <button onClick={handleRefresh} disabled={isFetching}>Refresh</button>
      <div>Last updated: {data?.timestamp}</div>
    </div>
  );
}
""",
        ),
    ),
)

RULES = (QUERY_REFETCH_INTERVAL, CLIENT_POLL_INTERVAL, INTERVAL_FETCH, POLLING_ENGINE, MANUAL_REFRESH)
