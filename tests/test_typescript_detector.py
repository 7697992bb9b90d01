"""The TypeScript/JavaScript detector: exact facts from real tree-sitter parses of real sources."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from polldetox.findings import Context, FileFacts, PollingSite, Polls, Route, SiteKind, Suppression
from polldetox.scan import ParseFailure
from polldetox.scan.typescript import TRIGGER_TOKENS, detect, exported_constants, reexported_names

COMPONENT = "app/client/src/components/Panel.tsx"
HOOK = "app/client/src/hooks/useData.ts"
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def scan(code: str, path: str = COMPONENT) -> FileFacts:
    source = textwrap.dedent(code).lstrip("\n")
    facts = detect(source, path)
    if facts.sites or facts.routes or facts.suppressions:
        # The engine never parses a file without a trigger token: every fact here must survive that.
        assert any(token in source.encode() for token in TRIGGER_TOKENS)
    return facts


def sites(code: str, path: str = COMPONENT) -> tuple[PollingSite, ...]:
    return scan(code, path).sites


def only(code: str, path: str = COMPONENT) -> PollingSite:
    found = sites(code, path)
    assert len(found) == 1, found
    return found[0]


# --- TanStack / React Query ------------------------------------------------------------------------


def test_example_3_refetch_interval_in_a_component() -> None:
    site = only(
        """
        import { useQuery } from '@tanstack/react-query';

        export function PlansPanel() {
          const { data: features } = useQuery({
            queryKey: ['planned-features'],
            queryFn: () => plannedFeaturesClient.getAll({ limit: 200 }),
            refetchInterval: 5 * 60 * 1000,
          });
          return <div>{features?.length}</div>;
        }
        """
    )
    assert site.kind == SiteKind.QUERY_OPTION
    assert site.mechanism == "useQuery refetchInterval"
    assert site.language == "typescript"
    assert (site.location.path, site.location.line, site.location.column) == (COMPONENT, 7, 5)
    assert (site.location.end_line, site.location.end_column) == (7, 35)
    assert site.snippet == "refetchInterval: 5 * 60 * 1000"
    assert site.interval_seconds == 300
    assert site.query_key == "['planned-features']"
    assert site.urls == ("plannedFeaturesClient.getAll",)
    assert (site.function, site.context) == ("PlansPanel", Context.COMPONENT)
    assert site.polls == Polls.HTTP
    assert not site.in_background and not site.fallback_only


@pytest.mark.parametrize("value", ["false", "0", "undefined"])
def test_refetch_interval_that_turns_polling_off_is_not_a_site(value: str) -> None:
    assert not sites(
        f"""
        export function QueuePanel() {{
          const {{ data }} = useQuery({{ queryKey: ['queue'], queryFn: fetchQueue, refetchInterval: {value} }});
          return <ul>{{data?.length}}</ul>;
        }}
        """
    )


def test_refetch_interval_in_comments_and_strings_is_not_a_site() -> None:
    assert not sites(
        """
        // refetchInterval: 5000 was removed in favour of the WebSocket hook
        /* useQuery({ refetchInterval: 1000 }) */
        const help = 'set refetchInterval: 3000 to poll';
        const doc = `refetchInterval: ${5000}`;
        export function Help() {
          return <p title="refetchInterval: 1000">{help}{doc}</p>;
        }
        """
    )


def test_in_background_and_the_query_function_url() -> None:
    site = only(
        """
        export function QueuePanel() {
          const { data } = useQuery({
            queryKey: ['queue', 'all'],
            queryFn: async () => (await fetch('/api/v1/queue')).json(),
            refetchInterval: 3000,
            refetchIntervalInBackground: true,
          });
          return <div>{data}</div>;
        }
        """
    )
    assert site.in_background
    assert site.interval_seconds == 3
    assert site.urls == ("/api/v1/queue",)
    assert site.query_key == "['queue', 'all']"


def test_query_function_defined_in_the_same_file_is_followed_for_urls() -> None:
    site = only(
        """
        async function fetchQueue() {
          const response = await fetch(`${API_BASE}/api/v1/queue`);
          return response.json();
        }
        export function QueuePanel() {
          const { data } = useQuery({ queryKey: ['queue'], queryFn: fetchQueue, refetchInterval: 3_000 });
          return <div>{data}</div>;
        }
        """
    )
    assert site.urls == ("${API_BASE}/api/v1/queue",)
    assert site.interval_seconds == 3


def test_use_queries_use_infinite_query_use_suspense_query_and_query_options() -> None:
    found = sites(
        """
        export function useEverything(ids: string[]) {
          useQueries({
            queries: ids.map((i) => ({ queryKey: ['item', i], queryFn: () => itemsApi.get(i), refetchInterval: 1e3 })),
          });
          useInfiniteQuery({ queryKey: ['feed'], queryFn: feedApi.page, refetchInterval: 2000, initialPageParam: 0 });
          useSuspenseQuery({ queryKey: ['me'], queryFn: () => usersApi.me(), refetchInterval: 4000 });
          return queryOptions({ queryKey: ['stats'], queryFn: () => statsService.load(), refetchInterval: 8000 });
        }
        """,
        HOOK,
    )
    assert [(s.location.line, s.interval_seconds, s.query_key, s.urls) for s in found] == [
        (3, 1, "['item', i]", ("itemsApi.get",)),
        (5, 2, "['feed']", ()),
        (6, 4, "['me']", ("usersApi.me",)),
        (7, 8, "['stats']", ("statsService.load",)),
    ]
    assert {(s.function, s.context) for s in found} == {("useEverything", Context.HOOK)}


def test_query_client_default_options() -> None:
    site = only(
        """
        import { QueryClient } from '@tanstack/react-query';
        export const queryClient = new QueryClient({
          defaultOptions: { queries: { staleTime: 30_000, refetchInterval: 60_000 } },
        });
        """,
        "app/client/src/lib/queryClient.ts",
    )
    assert (site.kind, site.interval_seconds, site.function, site.context) == (
        SiteKind.QUERY_OPTION,
        60,
        None,
        Context.CLIENT_MODULE,
    )


def test_spread_options_take_key_and_function_from_where_they_are_used() -> None:
    site = only(
        """
        const livePolling = { refetchInterval: 10_000, refetchIntervalInBackground: true } as const;

        export function useAgents() {
          return useQuery({ queryKey: ['agents'], queryFn: () => agentsClient.list(), ...livePolling });
        }
        """,
        HOOK,
    )
    assert site.location.line == 1
    assert (site.interval_seconds, site.in_background) == (10, True)
    assert (site.query_key, site.urls) == ("['agents']", ("agentsClient.list",))
    assert (site.function, site.context) == ("useAgents", Context.HOOK)


def test_options_object_passed_in_by_name() -> None:
    site = only(
        """
        const queueQueryOptions = queryOptions({
          queryKey: ['queue'],
          queryFn: () => queueClient.getAll(),
          refetchInterval: 3000,
        });

        export function QueuePanel() {
          const { data } = useQuery(queueQueryOptions);
          return <div>{data?.length}</div>;
        }
        """
    )
    assert (site.location.line, site.interval_seconds, site.query_key) == (4, 3, "['queue']")
    assert (site.function, site.context) == ("QueuePanel", Context.COMPONENT)


def test_function_interval_polls_with_its_literal_return() -> None:
    site = only(
        """
        export const agentQuery = (id: string) => queryOptions({
          queryKey: ['agent', id],
          queryFn: () => agentsClient.get(id),
          refetchInterval: (query) => {
            if (query.state.data?.status !== 'running') {
              return false;
            }
            return 2000;
          },
        });
        """,
        HOOK,
    )
    assert site.interval_seconds == 2
    assert site.snippet == "refetchInterval: (query) => {...}"
    assert not sites("export const q = { queryKey: ['a'], queryFn: load, refetchInterval: () => false };", HOOK)


def test_interval_from_a_variable_that_is_not_known_is_still_polling() -> None:
    site = only(
        """
        export function useFeed(intervalMs: number) {
          return useQuery({ queryKey: ['feed'], queryFn: loadFeed, refetchInterval: intervalMs });
        }
        """,
        HOOK,
    )
    assert (site.interval_seconds, site.interval_ref) == (None, None)


def test_same_file_constant_and_shorthand_option() -> None:
    found = sites(
        """
        const POLL_MS = 2 * 1000;
        const refetchInterval = POLL_MS * 3;
        export function useA() { return useQuery({ queryKey: ['a'], queryFn: loadA, refetchInterval: POLL_MS }); }
        export function useB() { return useQuery({ queryKey: ['b'], queryFn: loadB, refetchInterval }); }
        """,
        HOOK,
    )
    assert [(s.function, s.interval_seconds) for s in found] == [("useA", 2), ("useB", 6)]


@pytest.mark.parametrize(
    ("specifier", "module"),
    [
        ("'../config/polling'", "app/client/src/config/polling"),
        ("'../config/polling.js'", "app/client/src/config/polling"),
        ("'./intervals'", "app/client/src/components/intervals"),
    ],
)
def test_imported_interval_is_a_reference_for_the_engine(specifier: str, module: str) -> None:
    site = only(
        f"""
        import {{ QUEUE_POLL_MS as POLL }} from {specifier};
        export function QueuePanel() {{
          const {{ data }} = useQuery({{ queryKey: ['queue'], queryFn: fetchQueue, refetchInterval: POLL }});
          return <div>{{data}}</div>;
        }}
        """
    )
    assert site.interval_seconds is None
    assert site.interval_ref == (module, "QUEUE_POLL_MS")


def test_interval_imported_from_a_package_has_no_reference() -> None:
    site = only(
        """
        import { DEFAULT_POLL } from '@acme/config';
        export const q = { queryKey: ['a'], queryFn: load, refetchInterval: DEFAULT_POLL };
        """,
        HOOK,
    )
    assert (site.interval_seconds, site.interval_ref) == (None, None)


@pytest.mark.parametrize(
    ("expression", "seconds", "variable"),
    [
        ("Number(process.env.QUEUE_POLL_MS ?? 5000)", 5, "QUEUE_POLL_MS"),
        ("parseInt(process.env.QUEUE_POLL_MS || '5000', 10)", 5, "QUEUE_POLL_MS"),
        ("Number(import.meta.env.VITE_POLL_MS) || 7_500", 7.5, "VITE_POLL_MS"),
        ("Number(import.meta.env.VITE_POLL_MS)", None, "VITE_POLL_MS"),
    ],
)
def test_interval_from_the_environment_with_a_default(expression: str, seconds: float | None, variable: str) -> None:
    site = only(f"export const q = {{ queryKey: ['a'], queryFn: load, refetchInterval: {expression} }};", HOOK)
    assert (site.interval_seconds, site.interval_env_var) == (seconds, variable)


@pytest.mark.parametrize(
    ("signature", "seconds"),
    [
        ("{ refetchInterval = 30_000 }: { refetchInterval?: number } = {}", 30),
        ("refetchInterval: number | false = 5 * 1000", 5),
        ("refetchInterval = QUEUE_POLL_MS", 4),
    ],
)
def test_interval_from_a_parameter_default(signature: str, seconds: float) -> None:
    site = only(
        f"""
        const QUEUE_POLL_MS = 4000;
        export function useQueue({signature}) {{
          return useQuery({{ queryKey: ['queue'], queryFn: () => queueApi.list(), refetchInterval }});
        }}
        """,
        HOOK,
    )
    assert site.interval_seconds == seconds


def test_parameter_defaulting_to_false_does_not_poll() -> None:
    assert not sites(
        """
        export function useQueue(refetchInterval: number | false = false) {
          return useQuery({ queryKey: ['queue'], queryFn: () => queueApi.list(), refetchInterval });
        }
        """,
        HOOK,
    )


def test_vue_query_uses_the_same_options() -> None:
    site = only(
        """
        import { useQuery } from '@tanstack/vue-query';
        export function useQueue() {
          return useQuery({ queryKey: ['queue'], queryFn: () => queueApi.list(), refetchInterval: 4000 });
        }
        """,
        "app/client/src/composables/useQueue.ts",
    )
    assert (site.mechanism, site.interval_seconds, site.context) == ("useQuery refetchInterval", 4, Context.HOOK)


@pytest.mark.parametrize(
    ("options", "seconds", "fallback"),
    [
        ("refetchInterval: ref(4000)", 4, False),
        ("refetchInterval: computed(() => (paused.value ? false : 4000))", 4, False),
        ("refetchInterval: computed(() => (connected.value ? false : 15_000))", 15, True),
        ("enabled: computed(() => !connected.value), refetchInterval: 15_000", 15, True),
    ],
)
def test_vue_query_options_given_as_refs(options: str, seconds: float, fallback: bool) -> None:
    site = only(
        f"""
        import {{ useQuery }} from '@tanstack/vue-query';
        export function useQueue(connected: Ref<boolean>, paused: Ref<boolean>) {{
          return useQuery({{ queryKey: ['queue'], queryFn: () => queueApi.list(), {options} }});
        }}
        """,
        "app/client/src/composables/useQueue.ts",
    )
    assert (site.interval_seconds, site.fallback_only) == (seconds, fallback)


# --- SWR, Apollo, RTK Query ---------------------------------------------------------------------------


def test_swr_refresh_interval_takes_its_url_from_the_key() -> None:
    site = only(
        """
        export function QueuePanel() {
          const { data } = useSWR('/api/v1/queue', fetcher, { refreshInterval: 3000, refreshWhenHidden: true });
          return <div>{data?.length}</div>;
        }
        """
    )
    assert site.mechanism == "useSWR refreshInterval"
    assert (site.interval_seconds, site.urls, site.query_key, site.in_background) == (
        3,
        ("/api/v1/queue",),
        "'/api/v1/queue'",
        True,
    )


def test_swr_config_value() -> None:
    site = only(
        """
        export function Root({ children }) {
          return <SWRConfig value={{ refreshInterval: 15000, fetcher }}>{children}</SWRConfig>;
        }
        """
    )
    assert (site.mechanism, site.interval_seconds) == ("useSWR refreshInterval", 15)


@pytest.mark.parametrize("binding", ["import chokidar from 'chokidar';", "const chokidar = require('chokidar');"])
def test_file_watcher_poll_interval_is_not_a_query_option(binding: str) -> None:
    found = sites(
        f"""
        {binding}
        import {{ useQuery }} from '@apollo/client';
        chokidar.watch('content', {{ awaitWriteFinish: {{ stabilityThreshold: 2000, pollInterval: 100 }} }});
        export function useOrders() {{ return useQuery(ORDERS, {{ pollInterval: 20_000 }}); }}
        """,
        HOOK,
    )
    assert [(s.mechanism, s.location.line, s.interval_seconds) for s in found] == [("Apollo pollInterval", 4, 20)]


def test_apollo_poll_interval_and_start_polling() -> None:
    found = sites(
        """
        export function Orders() {
          const { data } = useQuery(GET_ORDERS, { pollInterval: 500 });
          const { startPolling, stopPolling } = useQuery(GET_STOCK);
          const watched = client.watchQuery({ query: GET_PRICES, pollInterval: 10_000 });
          watched.startPolling(2000);
          useEffect(() => { startPolling(5000); return stopPolling; }, []);
          return <div>{data}</div>;
        }
        """
    )
    assert [(s.kind, s.mechanism, s.location.line, s.interval_seconds) for s in found] == [
        (SiteKind.QUERY_OPTION, "Apollo pollInterval", 2, 0.5),
        (SiteKind.QUERY_OPTION, "Apollo pollInterval", 4, 10),
        (SiteKind.START_POLLING, "Apollo startPolling", 5, 2),
        (SiteKind.START_POLLING, "Apollo startPolling", 6, 5),
    ]
    assert [s.query_key for s in found[2:]] == ["GET_PRICES", "GET_STOCK"]  # ties each to its data, as pollInterval


def test_an_swr_infinite_key_function_gives_the_url_it_polls() -> None:
    found = sites(
        """
        function pageKey(index: number, previous: Page | null): string | null {
          if (previous && !previous.next) return null;
          return `/api/orders?page=${index}`;
        }
        export function History() {
          const { data } = useSWRInfinite(pageKey, fetchJson, { refreshInterval: 30_000 });
          const inline = useSWRInfinite((index) => `/api/returns?page=${index}`, fetchJson, { refreshInterval: 9000 });
          return <div>{data}{inline.data}</div>;
        }
        """
    )
    assert [(s.location.line, s.urls) for s in found] == [
        (6, ("/api/orders?page=${index}",)),
        (7, ("/api/returns?page=${index}",)),
    ]


def test_start_polling_of_a_kept_result_names_its_document() -> None:
    found = sites(
        """
        export function Orders() {
          const orders = useQuery(GET_ORDERS);
          useEffect(() => { orders.startPolling(5000); }, []);
          return <div>{orders.data}</div>;
        }
        """
    )
    assert [(s.kind, s.query_key) for s in found] == [(SiteKind.START_POLLING, "GET_ORDERS")]


def test_rtk_query_polling_interval_on_a_generated_hook() -> None:
    site = only(
        """
        export function JobsPanel() {
          const { data } = useGetJobsQuery(undefined, { pollingInterval: 3000, skipPollingIfUnfocused: true });
          return <div>{data?.length}</div>;
        }
        """
    )
    assert (site.kind, site.mechanism, site.interval_seconds) == (
        SiteKind.QUERY_OPTION,
        "RTK Query pollingInterval",
        3,
    )


# --- setInterval that fetches ----------------------------------------------------------------------


def test_anti_pattern_1_set_interval_fetch_in_a_component() -> None:
    site = only(
        """
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
        """
    )
    assert (site.kind, site.mechanism) == (SiteKind.INTERVAL_TIMER, "setInterval")
    assert (site.location.line, site.location.column, site.location.end_line) == (4, 22, 7)
    assert site.snippet == "setInterval(async () => {...}, 30000)"
    assert (site.interval_seconds, site.urls, site.polls) == (30, ("/api/v1/status",), Polls.HTTP)
    assert (site.function, site.context) == ("StatusPanel", Context.COMPONENT)


@pytest.mark.parametrize(
    ("body", "urls"),
    [
        ("window.setInterval(() => fetch('/api/v1/a'), 1000)", ("/api/v1/a",)),
        ("setInterval(() => axios.get('/api/v1/a').then(setA), 1000)", ("/api/v1/a",)),
        ("setInterval(() => axios('/api/v1/a'), 1000)", ("/api/v1/a",)),
        ("setInterval(() => ky.get('api/v1/a').json(), 1000)", ("api/v1/a",)),
        ("setInterval(() => api.queue.list(), 1000)", ("api.queue.list",)),
        ("setInterval(() => queueClient.getAll(), 1000)", ("queueClient.getAll",)),
        ("setInterval(() => usersApi.me(), 1000)", ("usersApi.me",)),
        ("setInterval(() => billingService.invoices(), 1000)", ("billingService.invoices",)),
        ("setInterval(() => refetch(), 1000)", ()),
        ("setInterval(refetch, 1000)", ()),
        ("setInterval(() => queryClient.invalidateQueries({ queryKey: ['a'] }), 1000)", ()),
        ("setInterval(() => queryClient.refetchQueries(), 1000)", ()),
        ("setInterval(() => dispatch(fetchOrders()), 1000)", ()),
        ("setInterval(() => fetchOrders().then(setOrders), 1000)", ()),
    ],
)
def test_set_interval_callbacks_that_fetch(body: str, urls: tuple[str, ...]) -> None:
    site = only(f"export function useA() {{ useEffect(() => {{ const id = {body}; }}); }}", HOOK)
    assert (site.kind, site.interval_seconds, site.urls) == (SiteKind.INTERVAL_TIMER, 1, urls)


def test_dispatched_thunk_defined_in_the_same_file() -> None:
    site = only(
        """
        const loadQueue = createAsyncThunk('queue/load', async () => (await fetch('/api/v1/queue')).json());
        export function useQueueSync(dispatch) {
          useEffect(() => {
            const id = setInterval(() => dispatch(loadQueue()), 5000);
            return () => clearInterval(id);
          }, []);
        }
        """,
        HOOK,
    )
    assert site.interval_seconds == 5


def test_set_interval_follows_same_file_functions_two_levels() -> None:
    code = """
        async function request(path) { return (await fetch(path)).json(); }
        async function loadQueue() { return request('/api/v1/queue'); }
        export function QueuePanel() {
          const [items, setItems] = useState([]);
          const refresh = useCallback(async () => setItems(await loadQueue()), []);
          useEffect(() => { const id = setInterval(refresh, 5000); return () => clearInterval(id); }, [refresh]);
          return <ul>{items.length}</ul>;
        }
        """
    site = only(code)
    assert (site.kind, site.interval_seconds, site.location.line) == (SiteKind.INTERVAL_TIMER, 5, 6)
    # Three hops away the fetch is out of reach, so the timer is not reported.
    deeper = code.replace("return request('/api/v1/queue');", "return relay('/api/v1/queue');")
    deeper = "async function relay(path) { return request(path); }\n" + textwrap.dedent(deeper).lstrip("\n")
    assert not sites(deeper)


def test_class_component_polling_in_component_did_mount() -> None:
    site = only(
        """
        export class QueueTable extends React.Component {
          componentDidMount() {
            this.timer = setInterval(this.loadItems, 15000);
          }
          componentWillUnmount() { clearInterval(this.timer); }
          loadItems = async () => { this.setState({ items: await queueClient.getAll() }); };
          render() { return <ol>{this.state.items.length}</ol>; }
        }
        """
    )
    assert (site.function, site.context, site.interval_seconds, site.urls) == (
        "QueueTable.componentDidMount",
        Context.CLASS_COMPONENT,
        15,
        ("queueClient.getAll",),
    )


def test_class_method_called_through_this() -> None:
    site = only(
        """
        class Poller extends PureComponent {
          componentDidMount() { this.id = setInterval(() => this.refresh(), 2000); }
          refresh() { return fetch('/api/v1/items').then((r) => r.json()).then((items) => this.setState({ items })); }
          render() { return null; }
        }
        """
    )
    assert (site.context, site.urls) == (Context.CLASS_COMPONENT, ("/api/v1/items",))


def test_methods_of_class_expressions_are_named_after_their_binding() -> None:
    found = sites(
        """
        export const QueueWatcher = class {
          start() { this.id = setInterval(() => fetch('/api/v1/queue'), 5000); }
        };
        export default class {
          start() { this.id = setInterval(() => fetch('/api/v1/jobs'), 5000); }
        }
        """,
        "app/client/src/watchers.ts",
    )
    assert [(s.function, s.context) for s in found] == [
        ("QueueWatcher.start", Context.CLIENT_MODULE),
        ("start", Context.CLIENT_MODULE),
    ]


@pytest.mark.parametrize(
    ("code", "function", "context"),
    [
        (
            """
            export function NotificationsProvider({ children }) {
              useEffect(() => {
                const id = setInterval(() => fetch('/api/v1/n'), 60_000);
                return () => clearInterval(id);
              }, []);
              return <div>{children}</div>;
            }
            """,
            "NotificationsProvider",
            Context.PROVIDER,
        ),
        (
            """
            export const Notifications = ({ children }) => {
              useEffect(() => {
                const id = setInterval(() => fetch('/api/v1/n'), 60_000);
                return () => clearInterval(id);
              }, []);
              return <Ctx.Provider value={1}>{children}</Ctx.Provider>;
            };
            """,
            "Notifications",
            Context.PROVIDER,
        ),
        (
            """
            export const Badge = memo(function Badge() {
              useEffect(() => {
                const id = setInterval(() => fetch('/api/v1/n'), 60_000);
                return () => clearInterval(id);
              }, []);
              return <span />;
            });
            """,
            "Badge",
            Context.COMPONENT,
        ),
        (
            """
            export function startWatch() { return setInterval(() => fetch('/api/v1/n'), 60_000); }
            """,
            "startWatch",
            Context.CLIENT_MODULE,
        ),
    ],
)
def test_context_of_a_timer(code: str, function: str, context: Context) -> None:
    site = only(code)
    assert (site.function, site.context, site.interval_seconds) == (function, context, 60)


def test_logs_activity_from_the_callback() -> None:
    site = only("export function useA() { setInterval(() => { console.debug('polling'); refetch(); }, 1000); }", HOOK)
    assert site.logs_activity and not site.logs_warning


# --- recursive setTimeout --------------------------------------------------------------------------


def test_recursive_set_timeout_fetch_loop() -> None:
    site = only(
        """
        export function useDeployment(id: string) {
          useEffect(() => {
            let timer: ReturnType<typeof setTimeout>;
            const poll = async () => {
              setDeployment(await deploymentsClient.getStatus(id));
              timer = setTimeout(poll, 4000);
            };
            void poll();
            return () => clearTimeout(timer);
          }, [id]);
        }
        """,
        HOOK,
    )
    assert (site.kind, site.mechanism, site.location.line, site.interval_seconds) == (
        SiteKind.TIMEOUT_LOOP,
        "recursive setTimeout",
        6,
        4,
    )
    assert (site.function, site.context, site.detail) == ("useDeployment", Context.HOOK, "reschedules itself")
    assert site.urls == ("deploymentsClient.getStatus",)


def test_recursive_set_timeout_through_an_arrow_in_a_plain_function() -> None:
    site = only(
        """
        function pollPrices() {
          fetch('/api/v1/prices').then((r) => r.json()).then(render);
          setTimeout(() => pollPrices(), 10_000);
        }
        pollPrices();
        """,
        "app/client/src/prices.js",
    )
    assert (site.kind, site.function, site.interval_seconds, site.language) == (
        SiteKind.TIMEOUT_LOOP,
        "pollPrices",
        10,
        "javascript",
    )


@pytest.mark.parametrize("alias", ["self", "that", "counters"])
def test_recursive_set_timeout_re_armed_through_an_alias_of_this(alias: str) -> None:
    site = only(
        f"""
        class Counters {{
          poll(counter, delay) {{
            const {alias} = this;
            delay = delay || 60_000 + (Math.random() - 0.5) * 10_000;
            setTimeout(function () {{
              fetch('/api/updates/' + counter.dataset.poll)
                .then((response) => response.json())
                .then((data) => {{ {alias}.render(counter, data); {alias}.poll(counter); }});
            }}, delay);
          }}
        }}
        """,
        "app/static/js/counters.js",
    )
    assert (site.kind, site.function, site.location.line, site.interval_seconds) == (
        SiteKind.TIMEOUT_LOOP,
        "Counters.poll",
        5,
        60,
    )


def test_an_alias_of_this_calling_another_method_is_not_a_re_arm() -> None:
    assert not sites(
        """
        class Counters {
          poll(counter) {
            const self = this;
            setTimeout(function () { self.render(counter); }, 1000);
          }
          render(counter) { fetch('/api/updates/' + counter.id); }
        }
        """,
        "app/static/js/counters.js",
    )


@pytest.mark.parametrize(
    "tick",
    ["setNow(refreshTime())", "loadImage(nextSlide())", "reloadIframe()", "this.props.refreshClock()"],
)
def test_timers_named_for_local_work_do_not_fetch(tick: str) -> None:
    assert not sites(
        f"""
        import {{ refreshTime, loadImage, reloadIframe }} from '../ui';
        export function Banner() {{
          useEffect(() => {{ const id = setInterval(() => {tick}, 1000); return () => clearInterval(id); }}, []);
          return <div />;
        }}
        """
    )


@pytest.mark.parametrize("tick", ["loadOrders()", "refreshInbox()", "this.props.fetchTimeline()"])
def test_timers_named_for_fetching_data_fetch(tick: str) -> None:
    site = only(
        f"""
        import {{ loadOrders, refreshInbox }} from '../api';
        export function Inbox() {{
          useEffect(() => {{ const id = setInterval(() => {tick}, 1000); return () => clearInterval(id); }}, []);
          return <div />;
        }}
        """
    )
    assert (site.kind, site.polls) == (SiteKind.INTERVAL_TIMER, Polls.HTTP)


@pytest.mark.parametrize(
    "tick",
    [
        "fetch('/api/session/keepalive', { method: 'POST' })",
        "axios.post('/api/v1/heartbeat', { tab: tabId })",
        "apiClient.put('/api/presence/ping')",
        "fetch(`${API_BASE}/analytics/track`, { method: 'post', body: JSON.stringify(queue) })",
    ],
)
def test_timers_that_push_heartbeats_or_telemetry_do_not_poll(tick: str) -> None:
    assert not sites(
        f"""
        export function Presence({{ tabId }}: {{ tabId: string }}) {{
          useEffect(() => {{ const id = setInterval(() => {tick}, 30_000); return () => clearInterval(id); }}, [tabId]);
          return null;
        }}
        """
    )


@pytest.mark.parametrize(
    ("tick", "url"),
    [
        ("fetch('/api/v1/shipping/ping-status')", "/api/v1/shipping/ping-status"),
        ("fetch('/graphql', { method: 'POST', body: JSON.stringify({ query }) })", "/graphql"),
        ("axios.get('/api/v1/events')", "/api/v1/events"),
        ("axios.post('/api/v1/shipping', { ids })", "/api/v1/shipping"),
    ],
)
def test_timers_that_read_data_still_poll(tick: str, url: str) -> None:
    site = only(
        f"""
        export function Shipments({{ ids }}: {{ ids: string[] }}) {{
          useEffect(() => {{ const id = setInterval(() => {tick}, 30_000); return () => clearInterval(id); }}, [ids]);
          return null;
        }}
        """
    )
    assert (site.polls, site.urls) == (Polls.HTTP, (url,))


@pytest.mark.parametrize(
    ("tick", "key"),
    [
        ("queryClient.invalidateQueries({ queryKey: ['inbox', userId] })", "['inbox', userId]"),
        ("queryClient.refetchQueries(['inbox'])", "['inbox']"),
        ("queryClient.invalidateQueries({ predicate: isStale })", None),
    ],
)
def test_timer_that_refreshes_the_query_cache_names_the_key(tick: str, key: str | None) -> None:
    site = only(
        f"""
        export function useInboxRefresh(userId: string) {{
          const queryClient = useQueryClient();
          useEffect(() => {{ const id = setInterval(() => {tick}, 10_000); return () => clearInterval(id); }}, []);
        }}
        """,
        HOOK,
    )
    assert (site.polls, site.query_key) == (Polls.HTTP, key)


def test_service_class_polling_through_injected_clients() -> None:
    found = sites(
        """
        export class OrderService {
          constructor(private http: HttpClient, private api: OrdersApi, private socket: WebSocket) {}
          start() {
            setInterval(() => this.http.get('/api/v1/orders').subscribe((orders) => (this.orders = orders)), 5000);
            setInterval(() => this.api.listInvoices(), 6000);
            setInterval(() => this.socket.send('ping'), 7000);
            setInterval(() => this.tick(), 1000);
          }
          tick() { this.now = Date.now(); }
        }
        """,
        "app/client/src/services/orders.service.ts",
    )
    assert [(s.location.line, s.function, s.urls) for s in found] == [
        (4, "OrderService.start", ("/api/v1/orders",)),
        (5, "OrderService.start", ("api.listInvoices",)),
    ]


# --- polling engines -----------------------------------------------------------------------------------


def test_polling_engine_and_its_call_sites_in_the_same_file() -> None:
    found = sites(
        """
        export function usePolling(fn: () => void, ms: number) {
          useEffect(() => {
            const id = setInterval(fn, ms);
            return () => clearInterval(id);
          }, [fn, ms]);
        }

        export function useQueue(setQueue: (q: unknown) => void) {
          usePolling(() => { fetch('/api/v1/queue').then((r) => r.json()).then(setQueue); }, 3000);
        }

        export function useTicker(onTick: () => void) {
          usePolling(onTick, 1000);
        }
        """,
        HOOK,
    )
    assert [(s.kind, s.location.line, s.function, s.interval_seconds, s.urls) for s in found] == [
        (SiteKind.POLLING_ENGINE, 3, "usePolling", None, ()),
        (SiteKind.ENGINE_CALL, 9, "useQueue", 3, ("/api/v1/queue",)),
    ]
    assert found[1].detail == "defined in this file"


def test_engine_with_a_ref_to_the_latest_callback_and_a_re_arming_timeout_engine() -> None:
    found = sites(
        """
        export function useInterval(callback: () => void, delay: number | null) {
          const savedCallback = useRef(callback);
          useEffect(() => { savedCallback.current = callback; }, [callback]);
          useEffect(() => {
            if (delay === null) return;
            const id = setInterval(() => savedCallback.current(), delay);
            return () => clearInterval(id);
          }, [delay]);
        }

        export function createPoller(task: () => Promise<void>, everyMs: number) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const tick = async () => {
            await task();
            timer = setTimeout(tick, everyMs);
          };
          return { start: tick, stop: () => clearTimeout(timer) };
        }
        """,
        HOOK,
    )
    assert [(s.kind, s.function, s.location.line) for s in found] == [
        (SiteKind.POLLING_ENGINE, "useInterval", 6),
        (SiteKind.POLLING_ENGINE, "createPoller", 15),
    ]


def test_timer_shims_promise_settling_and_backoff_retries_are_not_engines() -> None:
    assert not sites(
        """
        export const defaultTimeoutProvider = {
          setTimeout: (callback: () => void, delay: number) => setTimeout(callback, delay),
          setInterval: (callback: () => void, delay: number) => setInterval(callback, delay),
        };

        export function waitForRerun(project: Project): Promise<boolean> {
          return new Promise((resolve) => {
            const id = setInterval(() => {
              if (!rerunTriggered.has(project)) return;
              resolve(true);
              clearInterval(id);
            }, 50);
          });
        }

        export function ensureExists(path: string): Promise<boolean> {
          if (existsSync(path)) return Promise.resolve(true);
          return new Promise((resolve) => {
            setTimeout(() => { ensureExists(path).then(() => resolve(true)); }, 100);
          });
        }

        export function renameWithRetry(from: string, to: string, done: (err?: Error) => void) {
          let backoff = 0;
          rename(from, to, function retry(err) {
            if (err && err.code === 'EPERM') {
              setTimeout(() => { rename(from, to, retry); done(err); }, backoff);
              backoff += 10;
              return;
            }
            done(err);
          });
        }
        """,
        HOOK,
    )


def test_fetch_loop_that_backs_off_only_on_failure_still_polls() -> None:
    site = only(
        """
        export function useJobStatus(id: string) {
          useEffect(() => {
            let failures = 0;
            const poll = async () => {
              const ok = await fetch(`/api/v1/jobs/${id}`).then((r) => r.ok, () => false);
              failures = ok ? 0 : failures + 1;
              setTimeout(poll, failures ? backoffMs(failures) : 5000);
            };
            poll();
          }, [id]);
        }
        """,
        HOOK,
    )
    assert (site.kind, site.urls, site.interval_seconds) == (SiteKind.TIMEOUT_LOOP, ("/api/v1/jobs/${id}",), 5)


def test_imported_engine_call_sites_with_fetching_callbacks_only() -> None:
    found = sites(
        """
        import { usePolling } from '../hooks/usePolling';
        import { useInterval } from 'usehooks-ts';
        import { POLL_MS } from '../config/polling';

        export function Dashboard() {
          const [now, setNow] = useState(new Date());
          const loadActivity = useCallback(async () => setEvents(await agentsClient.activity()), []);
          usePolling(loadActivity, 20_000);
          usePolling(() => workflowClient.listRuns().then(setRuns), POLL_MS);
          useInterval(() => setNow(new Date()), 1000);
          const poller = createPoller({ fn: () => fetch('/api/v1/jobs'), interval: 8000 });
          return <div>{now.toISOString()}</div>;
        }
        """
    )
    assert [(s.kind, s.location.line, s.interval_seconds, s.interval_ref, s.urls, s.detail) for s in found] == [
        (SiteKind.ENGINE_CALL, 8, 20, None, ("agentsClient.activity",), "imported"),
        (
            SiteKind.ENGINE_CALL,
            9,
            None,
            ("app/client/src/config/polling", "POLL_MS"),
            ("workflowClient.listRuns",),
            "imported",
        ),
        (SiteKind.ENGINE_CALL, 11, 8, None, ("/api/v1/jobs",), "imported"),
    ]
    assert found[0].mechanism == "usePolling() polling helper"


def test_global_timer_wrappers_and_auto_refresh_hooks_are_engines_by_name() -> None:
    found = sites(
        """
        function refreshStatus() {
          $.ajax({ url: statusUrl, dataType: 'json', success: render });
        }
        adaptiveSetInterval(refreshStatus);
        adaptiveSetInterval(function () { document.title = 'x'; });
        """,
        "static/js/checks.js",
    )
    assert [(s.kind, s.location.line, s.mechanism) for s in found] == [
        (SiteKind.ENGINE_CALL, 4, "adaptiveSetInterval() polling helper")
    ]
    page = sites(
        """
        <script lang="ts">
          import { useAutoRefresh } from '$lib/utils/useAutoRefresh.svelte';
          useAutoRefresh({ key: 'data:gpu-details' });
          useAutoRefresh({ intervalMs: 30_000 });
          useAutoRefresh({ onTick: () => console.log('tick') });
        </script>
        """,
        "src/routes/gpu-details/+page.svelte",
    )
    assert [(s.kind, s.location.line, s.interval_seconds) for s in page] == [
        (SiteKind.ENGINE_CALL, 3, None),
        (SiteKind.ENGINE_CALL, 4, 30),
    ]


def test_engine_running_a_stable_wrapper_of_the_callback_it_was_handed() -> None:
    (site,) = sites(
        """
        import useImmutableCallback from '@/lib/hooks/useImmutableCallback';
        export default function useRefreshRateHandler(refreshDashboard) {
          const [refreshRate] = useState(60);
          const doRefreshDashboard = useImmutableCallback(refreshDashboard);
          useEffect(() => {
            const refreshTimer = setInterval(doRefreshDashboard, refreshRate * 1000);
            return () => clearInterval(refreshTimer);
          }, [refreshRate, doRefreshDashboard]);
        }
        """,
        HOOK,
    )
    assert (site.kind, site.location.line) == (SiteKind.POLLING_ENGINE, 6)


def test_use_interval_calling_bound_actions_handed_in() -> None:
    (site,) = sites(
        """
        import { useInterval } from '../../hooks/useInterval';
        export function JobLogs({ actions }) {
          const [liveLogs] = useState(true);
          useInterval(async () => setLogs(await actions.getJobLogs()), liveLogs ? 2500 : null);
          return <pre />;
        }
        """
    )
    assert (site.kind, site.location.line, site.polls) == (SiteKind.ENGINE_CALL, 4, Polls.HTTP)


def test_sveltekit_invalidation_on_a_timer_re_runs_the_page_loaders() -> None:
    (site,) = sites(
        """
        import { invalidate, invalidateAll } from '$app/navigation';
        export function useAutoRefresh({ intervalMs = 60000, key } = {}) {
          $effect(() => {
            const id = setInterval(() => (key ? invalidate(key) : invalidateAll()), intervalMs);
            return () => clearInterval(id);
          });
        }
        """,
        "src/lib/utils/useAutoRefresh.svelte.ts",
    )
    assert (site.kind, site.location.line, site.polls) == (SiteKind.INTERVAL_TIMER, 4, Polls.HTTP)


# --- Exception 4: manual refresh -------------------------------------------------------------------


def test_stale_time_infinity_with_a_refresh_button_is_a_manual_refresh() -> None:
    site = only(
        """
        export function ConfigPanel() {
          const { data, refetch: reload } = useQuery({
            queryKey: ['config'],
            queryFn: fetchConfig,
            staleTime: Infinity,
          });
          const onRefresh = () => { void reload(); };
          return (
            <div>
              <button onClick={onRefresh}>Refresh Config</button>
              <div>Last updated: {data?.timestamp}</div>
            </div>
          );
        }
        """
    )
    assert (site.kind, site.interval_seconds, site.query_key, site.location.line) == (
        SiteKind.MANUAL_REFRESH,
        None,
        "['config']",
        5,
    )
    assert (site.function, site.context, site.snippet) == ("ConfigPanel", Context.COMPONENT, "staleTime: Infinity")


def test_stale_time_infinity_without_a_user_action_is_not_a_site() -> None:
    assert not sites(
        """
        export function ConfigPanel() {
          const { data, refetch } = useQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity });
          useEffect(() => { refetch(); }, []);
          return <div>{data?.name}</div>;
        }
        """
    )


# --- not polling ---------------------------------------------------------------------------------------


def test_timers_that_fetch_nothing_are_not_sites() -> None:
    assert not sites(
        """
        export function Widgets({ onExpired, query }) {
          const [now, setNow] = useState(new Date());
          const [remaining, setRemaining] = useState(60);
          useEffect(() => {
            const id = setInterval(() => setNow(new Date()), 1000);
            return () => clearInterval(id);
          }, []);
          useEffect(() => {
            let timer;
            const tick = () => { setRemaining((s) => s - 1); timer = setTimeout(tick, 1000); };
            timer = setTimeout(tick, 1000);
            return () => clearTimeout(timer);
          }, []);
          useEffect(() => {
            let frame = requestAnimationFrame(function step() { frame = requestAnimationFrame(step); });
            const spin = setInterval(() => setAngle((a) => (a + 6) % 360), 16);
            return () => { cancelAnimationFrame(frame); clearInterval(spin); };
          }, []);
          useEffect(() => {
            const debounce = setTimeout(() => setSearch(query), 300);
            return () => clearTimeout(debounce);
          }, [query]);
          useEffect(() => { const once = setTimeout(() => refetch(), 2000); return () => clearTimeout(once); }, []);
          return <span>{now.toISOString()} {remaining}</span>;
        }
        """
    )


def test_websocket_heartbeat_and_reconnect_timer_are_not_sites() -> None:
    facts = scan(
        """
        export function useQueueWebSocket(url: string) {
          const socket = useRef<WebSocket | null>(null);
          const connect = useCallback(() => {
            const ws = new WebSocket(url);
            socket.current = ws;
            ws.onmessage = (event) => {
              const message = JSON.parse(event.data);
              if (message.type === 'queue_update') {
                queryClient.invalidateQueries({ queryKey: ['queue'] });
              }
            };
            ws.onclose = () => { setTimeout(connect, backoff()); };
          }, [url]);
          useEffect(() => {
            connect();
            const heartbeat = setInterval(() => socket.current?.send(JSON.stringify({ type: 'ping' })), 30000);
            return () => clearInterval(heartbeat);
          }, [connect]);
        }
        """,
        HOOK,
    )
    assert facts.sites == ()
    assert facts.handled_message_types == ("queue_update",)


def test_socket_client_pushes_are_not_fetches() -> None:
    assert not sites(
        """
        export function usePresence(wsClient: WebSocketClient, pubsubService: PubSub) {
          useEffect(() => {
            const id = setInterval(() => {
              wsClient.ping();
              pubsubService.publish('presence', { online: true });
            }, 20_000);
            return () => clearInterval(id);
          }, [wsClient, pubsubService]);
        }
        """,
        HOOK,
    )


def test_imported_polling_helpers_are_recognised_by_name() -> None:
    found = sites(
        """
        import { usePolledData } from '@acme/hooks';
        import { createJobPoller } from '../lib/poller';
        export function useJobs() {
          usePolledData(() => jobsApi.list(), 5000);
          createJobPoller(async () => { await fetch('/api/v1/jobs'); }, 9000);
          usePollingSettings({ theme: 'dark' });
        }
        """,
        HOOK,
    )
    assert [(s.kind, s.mechanism, s.interval_seconds) for s in found] == [
        (SiteKind.ENGINE_CALL, "usePolledData() polling helper", 5),
        (SiteKind.ENGINE_CALL, "createJobPoller() polling helper", 9),
    ]


# --- Exception 3: emergency fallback ----------------------------------------------------------------


def test_complete_emergency_fallback_on_a_ternary_interval() -> None:
    site = only(
        """
        const MAX_FALLBACK_MS = 5 * 60 * 1000;
        export function useQueueFeed() {
          const { isConnected, inFallbackMode, fallbackStartedAt, reconnect } = useReliableWebSocket({
            url: '/ws/queue',
            onFallback: () => { console.warn('[WS] Fallback to polling - WebSocket failed'); },
          });
          const query = useQuery({
            queryKey: ['queue'],
            queryFn: () => queueClient.getAll(),
            refetchInterval: isConnected ? false : 5000,
          });
          const fallbackDuration = Date.now() - fallbackStartedAt;
          if (inFallbackMode && fallbackDuration > MAX_FALLBACK_MS) {
            window.location.reload();
          }
          return query;
        }
        """,
        HOOK,
    )
    assert (site.interval_seconds, site.fallback_only, site.logs_warning) == (5, True, True)
    assert (site.max_duration_seconds, site.restores_connection) == (300, True)


@pytest.mark.parametrize(
    "option",
    [
        "refetchInterval: inFallbackMode ? 5000 : false",
        "refetchInterval: !connection.isConnected ? 5000 : false",
        "refetchInterval: 5000, enabled: !isConnected",
        "refetchInterval: 5000, enabled: isDisconnected && hasData",
    ],
)
def test_fallback_only_query_options(option: str) -> None:
    site = only(f"export const q = {{ queryKey: ['a'], queryFn: load, {option} }};", HOOK)
    assert (site.interval_seconds, site.fallback_only) == (5, True)
    assert (site.logs_warning, site.max_duration_seconds, site.restores_connection) == (False, None, False)


@pytest.mark.parametrize(
    "guarded",
    [
        "if (!isConnected) { id = setInterval(() => refetch(), 5000); }",
        "if (isConnected) { id = undefined; } else { id = setInterval(() => refetch(), 5000); }",
        "if (isConnected) return; id = setInterval(() => refetch(), 5000);",
        "id = fallback && setInterval(() => refetch(), 5000);",
    ],
)
def test_fallback_only_timers(guarded: str) -> None:
    site = only(f"export function useA(isConnected, fallback) {{ useEffect(() => {{ let id; {guarded} }}); }}", HOOK)
    assert (site.kind, site.fallback_only) == (SiteKind.INTERVAL_TIMER, True)


def test_timer_started_by_an_on_fallback_callback() -> None:
    site = only(
        """
        export function useFeed() {
          const timer = useRef<number>();
          useReliableWebSocket({
            url: '/ws/feed',
            onFallback: () => {
              logger.warn('feed socket down, polling');
              timer.current = window.setInterval(() => feedApi.latest().then(setFeed), 10_000);
              window.setTimeout(() => reconnect(), 2 * 60 * 1000);
            },
          });
        }
        """,
        HOOK,
    )
    assert (site.fallback_only, site.logs_warning, site.restores_connection) == (True, True, True)
    assert site.max_duration_seconds == 120


def test_timer_unguarded_by_the_connection_is_not_a_fallback() -> None:
    site = only("export function useA(ready) { useEffect(() => { if (ready) setInterval(refetch, 1000); }); }", HOOK)
    assert not site.fallback_only
    site = only("export function syncOfflineChanges() { setInterval(() => outboxApi.flush(), 1000); }", HOOK)
    assert not site.fallback_only


# --- Node backends -----------------------------------------------------------------------------------


NODE_WATCHER = """
import pg from 'pg';
import { WebSocketServer } from 'ws';

const pool = new pg.Pool();
const wss = new WebSocketServer({ port: 8765 });
let lastSnapshot = '';

async function checkJobs() {
  const { rows } = await pool.query("SELECT id, status FROM jobs JOIN workers ON workers.id = jobs.worker_id");
  const snapshot = JSON.stringify(rows);
  if (snapshot !== lastSnapshot) {
    lastSnapshot = snapshot;
    wss.clients.forEach((client) => client.send(JSON.stringify({ type: 'jobs_update', data: rows })));
  }
}

setInterval(checkJobs, Number(process.env.JOBS_POLL_MS ?? 5000));
"""


def test_node_watcher_that_queries_postgres_and_broadcasts() -> None:
    site = only(NODE_WATCHER, "services/watcher.mjs")
    assert (site.kind, site.context, site.language) == (SiteKind.INTERVAL_TIMER, Context.BACKEND, "javascript")
    assert (site.interval_seconds, site.interval_env_var) == (5, "JOBS_POLL_MS")
    assert (site.polls, site.tables) == (Polls.DATABASE, ("jobs", "workers"))
    assert (site.broadcasts, site.message_types, site.compares_state) == (True, ("jobs_update",), True)
    assert site.urls == ()


def test_backend_by_folder_and_socket_io_broadcast_without_state_comparison() -> None:
    site = only(
        """
        const { db } = require('../lib/db');
        async function tick(io) {
          const rows = await db.query(`SELECT * FROM alerts WHERE acknowledged = false`);
          io.emit('alerts', { type: 'alerts_update', rows });
        }
        module.exports.start = (io) => setInterval(() => tick(io), 15000);
        """,
        "server/jobs/alerts.cjs",
    )
    assert (site.context, site.tables, site.broadcasts, site.compares_state) == (
        Context.BACKEND,
        ("alerts",),
        True,
        False,
    )
    assert site.message_types == ("alerts_update",)


@pytest.mark.parametrize(
    ("code", "tables"),
    [
        (
            """
            const mongoose = require('mongoose');
            const Job = mongoose.model('Job');
            setInterval(async () => { await Job.find({ status: 'stale' }); }, 10000);
            """,
            ("jobs",),
        ),
        (
            """
            import mongoose from 'mongoose';
            import { Address } from './models';
            setInterval(() => Address.countDocuments({ verified: false }), 10000);
            """,
            ("address",),
        ),
        (
            """
            import knex from 'knex';
            const db = knex({ client: 'pg' });
            setInterval(async () => { await db('orders').where({ status: 'pending' }).select('*'); }, 10000);
            """,
            ("orders",),
        ),
        (
            """
            const db = require('knex')({ client: 'pg' });
            setInterval(() => db('invoices').count('id'), 10000);
            """,
            ("invoices",),
        ),
    ],
)
def test_node_watcher_through_mongoose_models_and_knex(code: str, tables: tuple[str, ...]) -> None:
    site = only(code, "src/watchers/stale.js")
    assert (site.context, site.polls, site.tables, site.interval_seconds) == (
        Context.BACKEND,
        Polls.DATABASE,
        tables,
        10,
    )


def test_capitalised_finds_and_calls_without_mongoose_or_knex_read_nothing() -> None:
    assert not sites(
        """
        const db = makeCache();
        setInterval(() => { Registry.find('x'); db('orders'); }, 10000);
        """,
        "src/watchers/cache.js",
    )


def test_express_routes_with_router_prefix_and_tables() -> None:
    facts = scan(
        """
        import express from 'express';
        import { pool } from './db';

        const app = express();
        const queueRouter = express.Router();

        async function listQueue(req, res) {
          const { rows } = await pool.query('SELECT id, title FROM queue_items ORDER BY position');
          res.json(rows);
        }

        queueRouter.get('/queue', listQueue);
        queueRouter.delete('/queue/:id', async (req, res) => {
          await pool.query('DELETE FROM queue_items WHERE id = $1', [req.params.id]);
          res.sendStatus(204);
        });
        app.get('/healthz', (req, res) => res.send('ok'));
        app.use('/api/v1/', queueRouter);
        app.listen(3000);
        """,
        "server/app.ts",
    )
    assert facts.sites == ()
    assert [(r.method, r.path, r.tables, r.location.line) for r in facts.routes] == [
        ("GET", "/api/v1/queue", ("queue_items",), 12),
        ("DELETE", "/api/v1/queue/:id", ("queue_items",), 13),
        ("GET", "/healthz", (), 17),
    ]
    assert isinstance(facts.routes[0], Route)


def test_frontend_api_calls_are_not_routes() -> None:
    facts = scan(
        """
        export function QueuePanel() {
          useEffect(() => { api.get('/api/v1/queue').then(setQueue); axios.post('/api/v1/queue', {}); }, []);
          return <div />;
        }
        """
    )
    assert facts.routes == ()


# --- file-level facts ----------------------------------------------------------------------------------


def test_handled_message_types_from_comparisons_and_switches() -> None:
    facts = scan(
        """
        export function useEvents(socket: WebSocket) {
          socket.onmessage = (event) => {
            const msg = JSON.parse(event.data);
            if (msg.type === 'queue_update') { setQueue(msg.data); }
            if ('agents_update' == msg.type) { setAgents(msg.data); }
            switch (msg.type) {
              case 'workflow_update':
                setWorkflows(msg.data);
                break;
              case 'queue_update':
                break;
            }
            switch (msg.kind) { case 'not_a_type': break; }
          };
        }
        """,
        HOOK,
    )
    assert facts.handled_message_types == ("queue_update", "agents_update", "workflow_update")


def test_type_checks_outside_message_handlers_are_not_handled_message_types() -> None:
    facts = scan(
        """
        export function ordersReducer(state = [], action) {
          if (action.type === 'orders_update') return action.payload;
          switch (action.type) { case 'jobs_update': return []; }
          return state;
        }
        export function Form() {
          const onKey = (event) => { if (event.type === 'keydown') submit(); };
          useWebSocket('/ws', { onMessage: (msg) => { if (msg.type === 'queue_update') refresh(); } });
          socket.on('message', (msg) => { switch (msg.type) { case 'agents_update': setAgents(msg.data); } });
          function handleServerMessage(msg) { if (msg.type === 'plans_update') setPlans(msg.data); }
          useEffect(() => { const id = setInterval(onKey, 1000); return () => clearInterval(id); });
          return <form />;
        }
        """
    )
    assert facts.handled_message_types == ("queue_update", "plans_update", "agents_update")


def test_suppression_comments_are_read_from_every_comment() -> None:
    facts = scan(
        """
        export function Panel() {
          const { data } = useQuery({
            queryKey: ['status'],
            queryFn: loadStatus,
            // polldetox-ignore PD201 -- vendor status page has no push channel
            refetchInterval: 60_000,
          });
          /* polldetox-ignore */
          return <div>{/* polldetox-ignore PD203, PD204 */}{data}</div>;
        }
        """
    )
    assert facts.suppressions == (
        Suppression(line=5, rules=("PD201",)),
        Suppression(line=8, rules=()),
        Suppression(line=9, rules=("PD203", "PD204")),
    )
    assert facts.sites[0].location.line == 6


# --- grammars, suffixes, languages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code", "language"),
    [
        ("src/a.ts", "const n = <number>(<unknown>value); setInterval(() => fetch('/x'), 1000);", "typescript"),
        ("src/a.mts", "const n = <number>raw; setInterval(() => fetch('/x'), 1000);", "typescript"),
        ("src/a.cts", "const n = <number>raw; setInterval(() => fetch('/x'), 1000);", "typescript"),
        ("src/a.tsx", "const e = <Box<string> value='x' />; setInterval(() => fetch('/x'), 1000);", "typescript"),
        ("src/a.jsx", "const e = <div className='x' />; setInterval(() => fetch('/x'), 1000);", "javascript"),
        ("src/a.js", "const e = <div />; setInterval(() => fetch('/x'), 1000);", "javascript"),
        ("src/a.mjs", "export const x = 1; setInterval(() => fetch('/x'), 1000);", "javascript"),
        ("src/a.cjs", "module.exports = setInterval(() => fetch('/x'), 1000);", "javascript"),
    ],
)
def test_grammar_and_language_by_suffix(path: str, code: str, language: str) -> None:
    facts = detect(code, path)
    assert facts.language == language
    assert [(s.kind, s.language, s.interval_seconds) for s in facts.sites] == [(SiteKind.INTERVAL_TIMER, language, 1)]


def test_type_assertion_needs_the_typescript_grammar_and_jsx_the_tsx_grammar() -> None:
    with pytest.raises(ParseFailure):
        detect("const e = <div className='x' />;\n", "src/a.ts")
    with pytest.raises(ParseFailure):
        detect("const n = <number>raw;\nconst m = 1;\n", "src/a.tsx")


def test_broken_source_raises_parse_failure_at_the_first_error() -> None:
    with pytest.raises(ParseFailure) as raised:
        detect("const ok = 1;\n\nexport function Broken( {\n  return setInterval(load, 1000);\n", "src/Broken.tsx")
    assert raised.value.line == 3


@pytest.mark.parametrize("path", ["src/store.ts", "src/store.tsx"])
def test_variance_annotations_parse_and_keep_positions(path: str) -> None:
    facts = detect(
        textwrap.dedent(
            """
            export interface Store<in out S, out E = never> { readonly state: S; readonly error?: E }
            export type Reader<in R> = (env: R) => void;
            export class Feed<out A> { items: A[] = []; }
            const id = setInterval(() => fetch('/api/v1/feed'), 5_000);
            """
        ).lstrip("\n"),
        path,
    )
    assert [(s.location.line, s.location.column, s.snippet, s.urls) for s in facts.sites] == [
        (4, 12, "setInterval(() => fetch('/api/v1/feed'), 5_000)", ("/api/v1/feed",))
    ]


def test_in_and_out_outside_type_parameters_still_fail_to_parse() -> None:
    with pytest.raises(ParseFailure) as raised:
        detect("const ok = [a, in b];\nsetInterval(() => fetch('/x'), 1000);\n", "src/a.ts")
    assert raised.value.line == 1


def test_columns_count_characters_not_bytes() -> None:
    site = only("const label = 'Größe'; const q = { queryFn: load, refetchInterval: 1000 }; useQuery(q);", HOOK)
    assert site.location.column == 51  # 53 in bytes


# --- cross-file constants ----------------------------------------------------------------------------


def test_exported_constants() -> None:
    constants = exported_constants(
        """
        const SECOND = 1000;
        export const QUEUE_POLL_MS = 5_000;
        export const PLANS_POLL_MS = 5 * 60 * SECOND;
        export const HALF = (QUEUE_POLL_MS / 2) as const;
        export const HEX = 0x10, NEGATIVE = -250;
        export const FROM_ENV = Number(process.env.POLL_MS ?? 7000);
        export const NAME = 'queue';
        export let MUTABLE = 1;
        const PRIVATE_MS = 42;
        """,
        "app/client/src/config/polling.ts",
    )
    assert constants == {
        "QUEUE_POLL_MS": 5000,
        "PLANS_POLL_MS": 300000,
        "HALF": 2500,
        "HEX": 16,
        "NEGATIVE": -250,
        "FROM_ENV": 7000,
    }


def test_polling_helpers_export_their_default_interval() -> None:
    constants = exported_constants(
        """
        export function useAutoRefresh(options = {}) {
          const { intervalMs = 60_000, key } = options;
          setInterval(() => invalidate(key), intervalMs);
        }
        export const usePoll = (fn, { delay = 5000, label = 'x' } = {}) => setInterval(fn, delay);
        export default function poller(fn, pollMs = 2000) { setInterval(fn, pollMs); }
        export function format(value, { digits = 2 } = {}) { return value.toFixed(digits); }
        """,
        "src/lib/utils/polling.ts",
    )
    assert constants == {"useAutoRefresh()": 60000, "usePoll()": 5000, "default()": 2000}


def test_a_floor_around_a_destructured_setting_is_its_default_or_the_floor() -> None:
    found = sites(
        """
        const defaultInterval = 1000;
        export function Widget({ service }) {
          const { refreshInterval = 10_000, fast = 200 } = service.widget;
          useSWR(`/api/widget/${service.id}`, fetcher, { refreshInterval: Math.max(defaultInterval, refreshInterval) });
          useSWR('/api/cpu', fetcher, { refreshInterval: Math.max(defaultInterval, fast) });
          useSWR('/api/mem', fetcher, { refreshInterval: Math.min(60_000, service.widget.every) });
        }
        """
    )
    assert [s.interval_seconds for s in found] == [10, 1, None]


def test_a_delay_assigned_in_branches_is_its_shortest() -> None:
    (site,) = sites(
        """
        export function refreshStatus(jobId, tryNumber = 1) {
          return axios.get(`api/jobs/${jobId}`).then(() => {
            let waitTime;
            if (tryNumber <= 10) {
              waitTime = 500;
            } else {
              waitTime = 3000;
            }
            setTimeout(() => refreshStatus(jobId, tryNumber + 1), waitTime);
          });
        }
        """,
        "client/app/services/jobs.js",
    )
    assert (site.kind, site.interval_seconds) == (SiteKind.TIMEOUT_LOOP, 0.5)


def test_a_timer_runs_on_the_default_its_function_destructures() -> None:
    found = sites(
        """
        export function watchQueue(options = {}) {
          const { everyMs = 15_000 } = options;
          setInterval(() => fetch('/api/v1/queue'), everyMs);
        }
        function usePoll(load, { delay = 4000 } = {}) { setInterval(load, delay); }
        export function Jobs() { usePoll(() => fetch('/api/v1/jobs')); }
        """,
        HOOK,
    )
    assert [(s.kind, s.location.line, s.interval_seconds) for s in found] == [
        (SiteKind.INTERVAL_TIMER, 3, 15),
        (SiteKind.POLLING_ENGINE, 5, 4),
        (SiteKind.ENGINE_CALL, 6, 4),
    ]


# --- the prefilter and the demo application ----------------------------------------------------------


SOURCE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")

# (file, function, kind, interval seconds as the detector sees it before cross-file resolution)
DEMO_SITES = {
    ("app/client/src/components/AgentActivityPanel.tsx", "AgentActivityPanel", SiteKind.ENGINE_CALL, 20),
    ("app/client/src/components/ConfigPanel.tsx", "ConfigPanel", SiteKind.MANUAL_REFRESH, None),
    ("app/client/src/components/DeployLog.jsx", "DeployLog", SiteKind.INTERVAL_TIMER, 5),
    (
        "app/client/src/components/LegacyQueueTable.tsx",
        "LegacyQueueTable.componentDidMount",
        SiteKind.INTERVAL_TIMER,
        15,
    ),
    ("app/client/src/components/PlansPanel.tsx", "PlansPanel", SiteKind.QUERY_OPTION, 300),
    ("app/client/src/components/QueuePanel.tsx", "QueuePanel", SiteKind.QUERY_OPTION, None),
    ("app/client/src/components/ReleaseNotesBanner.tsx", "ReleaseNotesBanner", SiteKind.QUERY_OPTION, None),
    ("app/client/src/components/SystemStatusPanel.tsx", "SystemStatusPanel", SiteKind.INTERVAL_TIMER, 30),
    ("app/client/src/components/WorkflowHistoryPanel.tsx", "WorkflowHistoryPanel", SiteKind.QUERY_OPTION, None),
    ("app/client/src/contexts/NotificationsContext.tsx", "NotificationsProvider", SiteKind.INTERVAL_TIMER, 60),
    ("app/client/src/hooks/useAgents.ts", "useAgents", SiteKind.QUERY_OPTION, 10),
    ("app/client/src/hooks/useAgents.ts", "agentDetailQuery", SiteKind.QUERY_OPTION, 2),
    ("app/client/src/hooks/useDeploymentStatus.ts", "useDeploymentStatus", SiteKind.TIMEOUT_LOOP, 4),
    ("app/client/src/hooks/usePolling.ts", "usePolling", SiteKind.POLLING_ENGINE, None),
    ("app/client/src/hooks/usePolling.ts", "useApiHealth", SiteKind.ENGINE_CALL, 45),
    ("app/client/src/hooks/useQueueWebSocket.ts", "useQueueWebSocket", SiteKind.QUERY_OPTION, None),
    ("app/client/src/hooks/useWorkflowRuns.ts", "useWorkflowRuns", SiteKind.ENGINE_CALL, None),
    ("app/client/src/lib/queryClient.ts", None, SiteKind.QUERY_OPTION, 60),
    ("app/client/src/utils/usageBeacon.js", "startQuotaWatch", SiteKind.INTERVAL_TIMER, 120),
    ("jobs/stale_jobs_watcher.js", None, SiteKind.INTERVAL_TIMER, 10),
}


def _demo_facts() -> dict[str, FileFacts]:
    facts = {}
    for path in sorted(DEMO.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts:
            relative = path.relative_to(DEMO).as_posix()
            facts[relative] = detect(path.read_text(encoding="utf-8"), relative)
    return facts


def test_every_demo_site_is_found_and_nothing_else() -> None:
    found = {
        (path, site.function, site.kind, site.interval_seconds)
        for path, facts in _demo_facts().items()
        for site in facts.sites
    }
    assert found == DEMO_SITES


@pytest.mark.parametrize(
    "code",
    [
        "export function useJobs() { createJobPoller(() => jobsApi.list(), 9000); }",
        "export const q = { queryKey: ['a'], queryFn: load, refetchInterval: 5000 };",
        "export const q = useSWR('/a', f, { refreshInterval: 5000 });",
        "export function useJobs() { usePolledData(() => jobsApi.list(), 9000); }",
        "module.exports = (app) => { app.delete('/api/v1/jobs/:id', (req, res) => res.end()); };",
        "const jobs = new KoaRouter(); jobs.get('/jobs', list);",
        "import Router from '@koa/router';\nconst jobs = new Router(); jobs.get('/jobs', list);",
        "export function mount(jobsRouter) { jobsRouter.get('/jobs', (req, res) => res.json([])); }",
    ],
)
def test_each_trigger_survives_the_byte_prefilter(code: str) -> None:
    facts = scan(code, "server/routes.ts")
    assert facts.sites or facts.routes


def test_a_page_using_the_router_hook_is_not_a_candidate() -> None:
    code = "import { useRouter } from 'next/router';\nexport default function Page() { return useRouter().pathname; }\n"
    assert not any(token in code.encode() for token in TRIGGER_TOKENS)


def test_demo_files_without_trigger_tokens_have_no_facts() -> None:
    for path, facts in _demo_facts().items():
        data = (DEMO / path).read_bytes()
        if not any(token in data for token in TRIGGER_TOKENS):
            assert (facts.sites, facts.routes, facts.suppressions) == ((), (), ()), path


def test_demo_anti_pattern_3_half_and_exception_facts() -> None:
    facts = _demo_facts()
    queue = facts["app/client/src/components/QueuePanel.tsx"].sites[0]
    assert queue.urls == ("${API_BASE}/api/v1/queue",)
    assert queue.interval_ref == ("app/client/src/config/polling", "QUEUE_POLL_MS")
    assert exported_constants((DEMO / "app/client/src/config/polling.ts").read_text(), "polling.ts") == {
        "QUEUE_POLL_MS": 3000,
        "WORKFLOW_POLL_MS": 10000,
        "FALLBACK_POLL_MS": 5000,
        "RELEASE_NOTES_POLL_MS": 900000,
    }
    socket = facts["app/client/src/hooks/useQueueWebSocket.ts"]
    assert socket.handled_message_types == ("queue_update",)
    fallback = socket.sites[0]
    assert (fallback.fallback_only, fallback.logs_warning, fallback.restores_connection) == (True, True, True)
    assert fallback.max_duration_seconds == 300
    history = facts["app/client/src/components/WorkflowHistoryPanel.tsx"].sites[0]
    assert history.in_background
    banner = facts["app/client/src/components/ReleaseNotesBanner.tsx"]
    assert banner.suppressions == (Suppression(line=17, rules=("PD201",)),)
    assert banner.sites[0].location.line == 18
    watcher = facts["jobs/stale_jobs_watcher.js"]
    (job,) = watcher.sites
    assert (job.context, job.tables, job.broadcasts, job.message_types) == (
        Context.BACKEND,
        ("jobs",),
        True,
        ("stale_jobs",),
    )
    assert (job.interval_env_var, job.compares_state) == ("STALE_JOBS_POLL_MS", False)
    assert [(r.method, r.path, r.tables) for r in watcher.routes] == [
        ("GET", "/api/v1/jobs/stale", ("jobs",)),
        ("POST", "/api/v1/jobs/:id/requeue", ("jobs",)),
    ]


def test_reexported_names_point_at_the_module_that_defines_them() -> None:
    forwarded = reexported_names(
        """
        export { QUEUE_POLL_MS, PLANS_POLL_MS as PLANS_MS } from './polling';
        export { STATS_MS } from '../shared/stats.js';
        export * from './everything';
        export { LOCAL };
        const LOCAL = 1;
        """,
        "app/client/src/config/index.ts",
    )
    assert forwarded == {
        "QUEUE_POLL_MS": ("app/client/src/config/polling", "QUEUE_POLL_MS"),
        "PLANS_MS": ("app/client/src/config/polling", "PLANS_POLL_MS"),
        "STATS_MS": ("app/client/src/shared/stats", "STATS_MS"),
    }


# --- RxJS ----------------------------------------------------------------------------------------

RX_SERVICE = "app/client/src/app/services/status.service.ts"


@pytest.mark.parametrize(
    ("member", "mechanism", "seconds", "url"),
    [
        (
            "status$ = timer(0, REFRESH_MS).pipe(switchMap(() => this.http.get('/api/v1/status')));",
            "RxJS timer + switchMap",
            15,
            "/api/v1/status",
        ),
        (
            "jobs$ = interval(5000).pipe(startWith(0), exhaustMap(() => fetch('/api/v1/jobs')));",
            "RxJS interval + exhaustMap",
            5,
            "/api/v1/jobs",
        ),
        (
            "queue$ = this.http.get('/api/v1/queue').pipe(repeat({ delay: 20_000 }));",
            "RxJS repeat({ delay })",
            20,
            "/api/v1/queue",
        ),
        (
            "feed$ = this.http.get('/api/v1/feed')"
            ".pipe(expand(() => timer(8000).pipe(switchMap(() => this.http.get('/api/v1/feed')))));",
            "RxJS expand + delay",
            8,
            "/api/v1/feed",
        ),
        (
            "nodes$ = Observable.interval(3000).switchMap(() => this.http.get('/api/v1/nodes'));",
            "RxJS interval + switchMap",
            3,
            "/api/v1/nodes",
        ),
    ],
)
def test_rxjs_polling_shapes(member: str, mechanism: str, seconds: float, url: str) -> None:
    site = only(
        f"""
        import {{ Injectable }} from '@angular/core';
        import {{ HttpClient }} from '@angular/common/http';
        import {{ Observable, interval, timer }} from 'rxjs';
        import {{ exhaustMap, expand, repeat, startWith, switchMap }} from 'rxjs/operators';

        const REFRESH_MS = 15_000;

        @Injectable({{ providedIn: 'root' }})
        export class StatusService {{
          constructor(private readonly http: HttpClient) {{}}
          {member}
        }}
        """,
        RX_SERVICE,
    )
    assert (site.kind, site.mechanism, site.interval_seconds, site.polls) == (
        SiteKind.INTERVAL_TIMER,
        mechanism,
        seconds,
        Polls.HTTP,
    )
    assert site.urls == (url,)
    assert site.location.line == 11


def test_rxjs_interval_held_in_a_field_and_a_source_piped_twice() -> None:
    found = sites(
        """
        import { HttpClient } from '@angular/common/http';
        import { interval, timer } from 'rxjs';
        import { switchMap, switchMapTo } from 'rxjs/operators';

        export class MeService {
          private _interval = interval(30_000);
          constructor(private readonly _http: HttpClient, private readonly settings_: SettingsService) {}

          init(): void {
            this._interval.pipe(switchMap(() => this.me())).subscribe((me) => (this.user = me));
          }

          me(): Observable<User> {
            return this._http.get<User>('/api/v1/me');
          }

          watch(endpoint: string): Observable<Resource> {
            return this.settings_.onSettingsUpdate
              .pipe(switchMap(() => timer(0, this.settings_.refreshMs())))
              .pipe(switchMapTo(this.http_.get<Resource>(endpoint)));
          }
        }
        """,
        RX_SERVICE,
    )
    assert [(s.location.line, s.interval_seconds, s.function) for s in found] == [
        (6, 30, "MeService"),
        (19, None, "MeService.watch"),
    ]
    assert all(s.polls == Polls.HTTP for s in found)


def test_rxjs_timers_that_do_not_poll() -> None:
    assert (
        sites(
            """
            import { HttpClient } from '@angular/common/http';
            import { EMPTY, Subject, interval, timer } from 'rxjs';
            import { debounceTime, expand, map, retry, switchMap } from 'rxjs/operators';

            export class SearchComponent {
              terms = new Subject<string>();
              results$ = this.terms.pipe(debounceTime(300), switchMap((q) => this.http.get('/api/v1/search', { q })));
              banner$ = timer(500).pipe(switchMap(() => this.http.get('/api/v1/banner')));
              retried$ = this.http.get('/api/v1/x').pipe(retry({ count: 3, delay: 1000 }));
              now$ = interval(1000).pipe(map(() => new Date()));
              pages$ = this.http.get('/api/v1/items').pipe(expand((p) => (p.next ? this.http.get(p.next) : EMPTY)));
              constructor(private readonly http: HttpClient) {}
            }
            """,
            RX_SERVICE,
        )
        == ()
    )


def test_interval_not_from_rxjs_is_not_an_rxjs_source() -> None:
    assert (
        sites(
            """
            import { interval } from './schedule';
            import { switchMap } from 'rxjs/operators';

            export const reports$ = interval(5000).pipe(switchMap(() => fetch('/api/v1/reports')));
            """,
            RX_SERVICE,
        )
        == ()
    )


# --- Vue and Svelte single-file components ----------------------------------------------------------


def test_vue_component_scripts_are_read_in_place() -> None:
    facts = scan(
        """
        <template>
          <p v-if="items.length < 3">{{ items.length }}</p>
        </template>

        <script>
        export default { name: 'Inbox' };
        </script>

        <script setup lang="ts">
        import { onMounted } from 'vue';
        const items = ref<string[]>([]);
        onMounted(() => {
          setInterval(async () => (items.value = await (await fetch('/api/v1/inbox')).json()), 20_000);
        });
        </script>
        """,
        "src/components/Inbox.vue",
    )
    (site,) = facts.sites
    assert (facts.language, site.location.line, site.location.column) == ("typescript", 13, 3)
    assert (site.function, site.context, site.interval_seconds, site.urls) == (
        "Inbox",
        Context.COMPONENT,
        20,
        ("/api/v1/inbox",),
    )


def test_svelte_module_script_constants_reach_the_instance_script() -> None:
    facts = scan(
        """
        <script context="module">
          export const EVERY = 7000;
        </script>

        <script>
          import { onMount } from 'svelte';
          let rows = [];
          onMount(() => {
            const id = setInterval(async () => (rows = await (await fetch('/api/v1/rows')).json()), EVERY);
            return () => clearInterval(id);
          });
        </script>

        {#each rows as row}<p>{row}</p>{/each}
        """,
        "src/routes/+page.svelte",
    )
    (site,) = facts.sites
    assert (facts.language, site.location.line, site.interval_seconds) == ("javascript", 9, 7)


def test_component_without_a_script_has_no_facts() -> None:
    assert scan("<template><p>setInterval</p></template>\n", "src/components/Help.vue").sites == ()


def test_html_page_inline_scripts_are_read_in_place_with_server_template_syntax_blanked() -> None:
    facts = scan(
        """
        {% extends "base.html" %}
        <html>
        <body>
          <h1 title="{{ site_name }}">setInterval</h1>
          <script type="text/template"><p>{{ row }}</p></script>
          <script src="/static/js/app.js"></script>
          <script>
            const url = "{% url 'hc-status' %}";
            const every = {{ refresh_ms|tojson }};
            function refresh() { fetch(url).then((r) => r.json()).then(render); }
            {% if live %}
            setInterval(refresh, 5000);
            {% endif %}
          </script>
        </body>
        </html>
        """,
        "templates/front/dashboard.html",
    )
    (site,) = facts.sites
    assert (site.kind, site.location.line, site.location.column, site.interval_seconds) == (
        SiteKind.INTERVAL_TIMER,
        12,
        5,
        5,
    )


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>Poll with setInterval every 5 s.</p></body></html>\n",
        "<script>document.title = 'Help';</script><p>setInterval</p>\n",
        '<script type="application/json">{"setInterval": {{ every }}}</script>\n',
    ],
)
def test_html_pages_whose_scripts_hold_no_trigger_are_not_parsed(page: str) -> None:
    assert detect(page, "templates/help.html") == FileFacts(path="templates/help.html", language="javascript")


def test_script_with_server_template_syntax_parses_with_it_blanked() -> None:
    (site,) = sites(
        """
        function refresh_loop() {
          api.getJob({{ id|tojson|safe }}, function (job) {
            render(job);
            setTimeout(refresh_loop, 2500);
          });
        }
        var api = { getJob: function (id, cb) { $.getJSON('/job/' + id + '.json', cb); } };
        """,
        "rq_dashboard/templates/rq_dashboard/scripts/job.js",
    )
    assert (site.kind, site.location.line, site.interval_seconds) == (SiteKind.TIMEOUT_LOOP, 4, 2.5)


def test_a_one_line_template_conditional_keeps_one_branch() -> None:
    (site,) = sites(
        """
        <script>
          const is_authenticated = {% if current_user.is_authenticated %}true{% else %}false{% endif %};
          const mode = {%- if dark -%}'dark'{%- elif light -%}'light'{%- else -%}'auto'{%- endif -%};
          setInterval(function () { $.getJSON('/api/queue', render); }, 8000);
        </script>
        """,
        "app/templates/base.html",
    )
    assert (site.location.line, site.interval_seconds) == (4, 8)


def test_a_timer_running_a_fetching_function_on_each_element_polls() -> None:
    (site,) = sites(
        """
        function updatePanel(node) {
          fetch('/api/v3/checks/?key=' + node.dataset.key).then((r) => r.json()).then(render);
        }
        setInterval(function () {
          document.querySelectorAll('h1').forEach(updatePanel);
        }, 5000);
        """,
        "static/js/panels.js",
    )
    assert (site.kind, site.location.line, site.interval_seconds) == (SiteKind.INTERVAL_TIMER, 4, 5)


def test_a_page_reloading_itself_on_a_timer_as_it_loads_polls() -> None:
    (site,) = sites(
        """
        {% block scripts %}
        <script>
          setTimeout(function () {
            window.location.reload();
          }, 5000);
          document.getElementById('save').addEventListener('click', function () {
            setTimeout(() => location.reload(), 1000);
          });
        </script>
        {% endblock %}
        """,
        "admin/templates/import.html",
    )
    assert (site.kind, site.location.line, site.interval_seconds, site.polls) == (
        SiteKind.TIMEOUT_LOOP,
        3,
        5,
        Polls.HTTP,
    )


def test_jsx_double_braces_are_not_template_syntax() -> None:
    with pytest.raises(ParseFailure):
        detect("const a = <div style={{ color: 'red' }}>{x</div>;\nsetInterval(poll, 1000);\n", "src/App.jsx")


# --- Node schedulers -----------------------------------------------------------------------------

NODE_JOBS = "server/src/jobs/index.ts"


@pytest.mark.parametrize(
    ("imports", "registration", "mechanism", "seconds"),
    [
        (
            "import cron from 'node-cron';",
            "cron.schedule('*/2 * * * *', () => syncOrders());",
            "node-cron schedule",
            120,
        ),
        (
            "const schedule = require('node-schedule');",
            "schedule.scheduleJob('0 * * * *', syncOrders);",
            "node-schedule scheduleJob",
            3600,
        ),
        (
            "import schedule from 'node-schedule';",
            "schedule.scheduleJob({ minute: '*/15' }, syncOrders);",
            "node-schedule scheduleJob",
            900,
        ),
        ("import { CronJob } from 'cron';", "new CronJob('*/30 * * * * *', syncOrders).start();", "cron CronJob", 30),
        (
            "import { CronJob } from 'cron';",
            "CronJob.from({ cronTime: '0 */5 * * * *', onTick: syncOrders, start: true });",
            "cron CronJob",
            300,
        ),
        (
            "import Agenda from 'agenda';",
            "agenda.define('sync orders', syncOrders); agenda.every('3 minutes', 'sync orders');",
            "agenda every",
            180,
        ),
        (
            "import { Queue } from 'bullmq';",
            "queue.add('sync-orders', {}, { repeat: { pattern: '*/5 * * * *' } });",
            "Bull repeatable job",
            300,
        ),
        (
            "import { Queue } from 'bullmq';",
            "queue.upsertJobScheduler('orders', { every: Number(process.env.SYNC_MS ?? 20000) }, { name: 'sync' });",
            "BullMQ job scheduler",
            20,
        ),
        (
            "import { SimpleIntervalJob, Task } from 'toad-scheduler';",
            "scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ minutes: 1 }, new Task('sync', syncOrders)));",
            "toad-scheduler SimpleIntervalJob",
            60,
        ),
    ],
)
def test_node_scheduler_registrations(imports: str, registration: str, mechanism: str, seconds: float) -> None:
    site = only(f"{imports}\nimport {{ syncOrders }} from './tasks';\n\n{registration}\n", NODE_JOBS)
    assert (site.kind, site.mechanism, site.interval_seconds, site.context) == (
        SiteKind.SCHEDULER,
        mechanism,
        seconds,
        Context.BACKEND,
    )


def test_nest_schedule_decorators_read_through_repositories() -> None:
    found = sites(
        """
        import { Injectable } from '@nestjs/common';
        import { Cron, CronExpression, Interval } from '@nestjs/schedule';

        @Injectable()
        export class ShipmentsService {
          constructor(private readonly shipmentsRepository: Repository<Shipment>) {}

          @Cron(CronExpression.EVERY_30_SECONDS)
          async trackShipments() {
            const open = await this.shipmentsRepository.find({ where: { delivered: false } });
            await this.carrierClient.track(open);
          }

          @Interval(60_000)
          async refreshCarriers() {
            await this.carrierClient.listCarriers();
          }

          @Cron('0 0 2 * * *')
          async archiveDelivered() {
            await this.shipmentsRepository.find({ where: { delivered: true } });
          }
        }
        """,
        "server/src/shipments/shipments.service.ts",
    )
    assert [(s.location.line, s.mechanism, s.interval_seconds, s.polls, s.tables) for s in found] == [
        (8, "NestJS @Cron", 30, Polls.DATABASE, ("shipments",)),
        (14, "NestJS @Interval", 60, Polls.HTTP, ()),
    ]


def test_node_schedules_at_a_time_of_day_or_for_housekeeping_do_not_poll() -> None:
    assert (
        sites(
            """
            import cron from 'node-cron';
            import schedule from 'node-schedule';
            import { Queue } from 'bullmq';
            import { cleanupSessions, sendDigest, syncOrders } from './tasks';

            cron.schedule('0 3 * * *', () => syncOrders());
            cron.schedule('*/5 * * * *', () => cleanupSessions());
            schedule.scheduleJob({ hour: 6, minute: 30 }, syncOrders);
            schedule.scheduleJob(new Date(Date.now() + 5000), syncOrders);
            queue.add('send-digest', {}, { repeat: { pattern: '*/15 * * * *' } });
            queue.add('sync-orders', {}, { delay: 5000 });
            """,
            NODE_JOBS,
        )
        == ()
    )


def test_bullmq_job_scheduler_is_judged_by_the_queue_workers_processor() -> None:
    code = """
    import { Queue, Worker } from 'bullmq';
    import { listActiveMonitors, syncMonitorSchedules } from '../monitors';

    const queue = new Queue('app');
    new Worker('app', async () => {
      const active = await listActiveMonitors();
      await syncMonitorSchedules(active);
    });

    export const start = () => queue.upsertJobScheduler(prefix + '_main', { every: 10_000 }, {});
    """
    site = only(code, NODE_JOBS)
    assert (site.kind, site.mechanism, site.interval_seconds) == (SiteKind.SCHEDULER, "BullMQ job scheduler", 10)
    housekeeping = code.replace("listActiveMonitors", "purgeOldEvents").replace("syncMonitorSchedules", "logCount")
    assert sites(housekeeping, NODE_JOBS) == ()


def test_a_job_scheduler_on_a_cron_read_at_runtime_waits_for_what_its_imported_worker_call_reads() -> None:
    code = """
    import { Queue, Worker } from 'bullmq';
    import { runMonitor } from '../checks/probe.js';

    const queue = new Queue('monitors');
    new Worker('monitors', async (job) => { await runMonitor(job.data); });

    export const schedule = (monitor) =>
      queue.upsertJobScheduler(monitor.id, { pattern: monitor.cron, immediately: true }, { data: monitor });
    """
    facts = scan(code, NODE_JOBS)
    (pending,) = facts.pending_sites
    assert facts.sites == () and pending.globals == ()
    assert pending.imports == (("server/src/checks/probe", "runMonitor"),)
    assert (pending.site.mechanism, pending.site.interval_seconds) == ("BullMQ job scheduler", None)
    daily = scan(code.replace("monitor.cron", "'0 6 * * *'"), NODE_JOBS)
    assert daily.sites == () and daily.pending_sites == ()


def test_functions_picked_from_a_lookup_table_are_followed() -> None:
    code = """
    import api from '../api';

    const loaders = {
      team: [(id) => api.get_team_solves({ id }), (id) => api.get_team_fails({ id })],
      user: [(id) => formatUser(id)],
    };
    const views = { board: { data: () => api.get_scoreboard() }, clock: { data: () => new Date() } };
    const handlers = { tick() { return api.get_status(); } };

    export function start(type) {
      setInterval(() => {
        let [solves, fails] = loaders[type];
        Promise.all([solves(1), fails(1)]).then(render);
      }, 300000);
      setInterval(() => { const view = views[name]; view.data().then(draw); }, 60000);
      setInterval(() => handlers.tick(), 5000);
    }
    """
    found = sites(code, "assets/js/pages/team.js")
    assert [(s.interval_seconds, s.polls, s.urls) for s in found] == [
        (300, Polls.HTTP, ("api.get_team_solves", "api.get_team_fails")),
        (60, Polls.HTTP, ("api.get_scoreboard",)),
        (5, Polls.HTTP, ("api.get_status",)),
    ]
    local = code.replace("api.get_team_solves({ id })", "id").replace("api.get_team_fails({ id })", "id")
    local = local.replace("api.get_scoreboard()", "[]").replace("return api.get_status();", "return 1;")
    assert sites(local, "assets/js/pages/team.js") == ()


def test_an_awaited_getter_of_a_project_module_fetches_and_this_is_the_own_object() -> None:
    code = """
    import Alpine from 'alpinejs';
    import App from './index';
    import { format } from 'date-fns';

    Alpine.data('Detail', () => ({
      async update() { this.data = await App.pages.scoreboard.getDetail(10); },
      init() { setInterval(() => { this.update(); }, 300000); },
    }));
    Alpine.data('List', () => ({
      async update() { this.rows = await App.pages.scoreboard.getStandings(); },
      init() { setInterval(() => { this.update(); }, 300000); },
    }));
    Alpine.data('Clock', () => ({
      async update() { this.now = format(App.getNow(), 'HH:mm'); },
      init() { setInterval(() => { this.update(); }, 1000); },
    }));
    """
    found = sites(code, "assets/js/scoreboard.js")
    assert [s.urls for s in found] == [
        ("App.pages.scoreboard.getDetail",),
        ("App.pages.scoreboard.getStandings",),
    ]
    assert sites(code, "server/src/scoreboard.ts") == ()  # a backend's `await db.getRows()` is left to its reads


def test_a_timer_asking_the_parent_to_refresh_polls_through_the_parent() -> None:
    code = """
    <script>
    export default {
      emits: ['refresh', 'update:modelValue'],
      mounted() {
        this.timer = setInterval(() => this.$emit('refresh'), 30000);
        this.clock = setInterval(() => this.$emit('update:modelValue', new Date()), 1000);
        this.ping = setInterval(() => this.$emit('tick'), 1000);
      },
    };
    </script>
    """
    site = only(code, "src/components/AutoRefresh.vue")
    assert (site.location.line, site.interval_seconds, site.polls) == (5, 30, Polls.HTTP)


def test_timers_renewing_credentials_do_not_poll_data() -> None:
    code = """
    import { queryClient } from './query-client';
    import { authService } from './auth';

    const refreshStaleExchangeTokens = () =>
      queryClient.refetchQueries({ queryKey: [EXCHANGE_TOKEN_QUERY_KEY_PREFIX], stale: true });
    function renewSession() { return fetch('/api/session/renew', { method: 'POST' }); }

    export function start() {
      setInterval(() => refreshStaleExchangeTokens(), 30_000);
      setInterval(renewSession, 300_000);
      setInterval(() => authService.refreshAccessToken(), 60_000);
      setInterval(() => queryClient.refetchQueries({ queryKey: ['jobs'] }), 5_000);
    }
    """
    site = only(code, "src/lib/session.ts")
    assert (site.location.line, site.interval_seconds, site.query_key) == (12, 5, "['jobs']")


def test_a_fetch_deeper_than_followed_is_taken_by_its_name() -> None:
    code = """
    export function useShoppingList(actions) {
      async function fetchShoppingList() { return await actions.getList(); }
      async function refresh() { list.value = await fetchShoppingList(); }
      async function pollForChanges() { if (!idle.value) await refresh(); }
      const timer = setInterval(() => { pollForChanges(); }, 5000);
    }
    """
    site = only(code, "frontend/composables/use-shopping-list.ts")
    assert (site.location.line, site.interval_seconds, site.polls) == (5, 5, Polls.HTTP)
    local = code.replace("fetchShoppingList", "sortShoppingList")
    assert sites(local, "frontend/composables/use-shopping-list.ts") == ()


def test_a_timeout_re_armed_in_then_is_not_in_the_chained_catch() -> None:
    code = """
    export class QueryResult {
      refreshStatus(query, tryNumber = 1) {
        axios
          .get(`api/jobs/${this.job.id}`)
          .then((job) => {
            this.update(job);
            if (this.getStatus() !== 'failed') {
              setTimeout(() => { this.refreshStatus(query, tryNumber + 1); }, 1000);
            }
          })
          .catch((error) => {
            setTimeout(() => { this.refreshStatus(query, tryNumber + 1); }, 5000);
          });
      }
    }
    """
    site = only(code, "client/app/services/query-result.js")
    assert (site.kind, site.location.line, site.interval_seconds) == (SiteKind.TIMEOUT_LOOP, 8, 1)


def test_a_timer_re_keying_an_embedded_page_reloads_it() -> None:
    code = """
    export function Widget({ widget }) {
      const [tick, setTick] = useState(0);
      const [now, setNow] = useState(new Date());
      useEffect(() => { setInterval(() => setTick(tick + 1), widget.refreshInterval); }, [tick]);
      useEffect(() => { setInterval(() => setNow(new Date()), 1000); }, []);
      return (
        <div title={now.toISOString()}>
          <iframe key={`${widget.name}-${tick}`} src={widget.src} />
          <img src={`/api/chart.png?t=${now.getTime()}`} />
        </div>
      );
    }
    """
    found = sites(code)
    assert [(s.location.line, s.polls) for s in found] == [(4, Polls.HTTP), (5, Polls.HTTP)]
    still = code.replace("<img src={`/api/chart.png?t=${now.getTime()}`} />", "<span>{now.getTime()}</span>")
    assert [s.location.line for s in sites(still)] == [4]


def test_a_timeout_re_armed_by_a_promise_continuation_reading_through_a_store_client() -> None:
    code = """
    import { Redis } from 'ioredis';
    import { discoverQueues, flushStats } from './discovery';

    export async function run(config) {
      const client = new Redis(config.redisUrl);
      const scan = async () => registry.sync(await discoverQueues(client, config.prefixes));
      const scheduleRescan = () => {
        rescanTimer = setTimeout(() => {
          scan().catch((error) => log.warn(error.message)).finally(scheduleRescan);
        }, config.scanInterval * 1000);
      };
      const scheduleFlush = () => {
        setTimeout(() => { flushStats(client).finally(scheduleFlush); }, 10_000);
      };
      scheduleRescan();
      scheduleFlush();
    }
    """
    site = only(code, "packages/cli/src/index.ts")
    assert (site.kind, site.location.line, site.polls) == (SiteKind.TIMEOUT_LOOP, 8, Polls.DATABASE)


# --- jQuery pages, class components re-arming through a name, reconnect handlers, bundles -------------------


@pytest.mark.parametrize(
    ("tick", "urls"),
    [
        ("$.getJSON('/api/v1/status', render)", ("/api/v1/status",)),
        ("$.ajax({ url: '/api/v1/jobs', dataType: 'json', success: render })", ("/api/v1/jobs",)),
        ("jQuery.get('/admin/queue.json').done(render)", ("/admin/queue.json",)),
        ("$.post('/api/v1/search', { q: 'open' }, render)", ("/api/v1/search",)),
        ("table.ajax.reload(null, false)", ()),
    ],
)
def test_jquery_and_datatables_reads_on_a_timer(tick: str, urls: tuple[str, ...]) -> None:
    site = only(f"$(function () {{\n  setInterval(function () {{ {tick}; }}, 5000);\n}});\n", "public/js/admin.js")
    assert (site.kind, site.polls, site.urls, site.interval_seconds) == (SiteKind.INTERVAL_TIMER, Polls.HTTP, urls, 5)


def test_jquery_calls_that_do_not_read() -> None:
    code = """
    $(function () {
      setInterval(function () { $.each(rows, draw); $('#clock').text(new Date().toISOString()); }, 1000);
      setInterval(function () { $.post('/api/v1/heartbeat', { page: 'admin' }); }, 30000);
    });
    """
    assert sites(code, "public/js/admin.js") == ()


def test_class_component_re_arming_a_method_that_calls_a_prop_or_a_controller() -> None:
    found = sites(
        """
        import React from 'react';

        export class Board extends React.Component {
          componentDidMount() { this.update(); }
          update = () => {
            this.props.onRefresh();
            this.timer = setTimeout(this.update, this.props.interval || 8000);
          };
          tick() {
            this.dashboardController.loadStats();
            setTimeout(() => this.tick(), 20000);
          }
          render() { return <div />; }
        }
        """
    )
    assert [(s.kind, s.function, s.interval_seconds) for s in found] == [
        (SiteKind.TIMEOUT_LOOP, "Board.update", 8),
        (SiteKind.TIMEOUT_LOOP, "Board.tick", 20),
    ]


def test_reconnect_timers_in_close_and_error_handlers_are_not_polling() -> None:
    code = """
    function connect() {
      const ws = new WebSocket(URL);
      ws.onopen = () => fetch('/api/v1/snapshot').then(render);
      ws.onclose = () => { setTimeout(connect, 3000); };
      ws.addEventListener('error', () => setTimeout(() => { fetchSnapshot(); connect(); }, 5000));
      socket.on('disconnect', () => setTimeout(connect, 1000));
    }
    """
    assert sites(code, "app/client/src/lib/socket.ts") == ()


def test_minified_bundles_are_not_source() -> None:
    line = "setInterval(function(){fetch('/api/v1/x')},1e3);" + "var a=1;" * 200
    assert detect(line + "\n", "public/js/app.bundle.js").sites == ()


# --- promise-paced loops -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mechanism"),
    [
        (
            """
            export async function watchQueue(render) {
              while (true) {
                render(await (await fetch('/api/v1/queue')).json());
                await sleep(POLL_MS);
              }
            }
            """,
            "while loop + await sleep",
        ),
        (
            """
            export async function poll(render) {
              render(await api.get('/api/v1/queue'));
              await new Promise((resolve) => setTimeout(resolve, POLL_MS));
              poll(render);
            }
            """,
            "async recursion + sleep",
        ),
        (
            """
            export function poll(render) {
              return fetch('/api/v1/queue').then((r) => r.json()).then(render)
                .then(() => delay(POLL_MS)).then(() => poll(render));
            }
            """,
            "promise chain + sleep",
        ),
    ],
)
def test_promise_paced_polling(body: str, mechanism: str) -> None:
    site = only("import { sleep, delay } from './time';\nconst POLL_MS = 4000;\n" + textwrap.dedent(body), HOOK)
    assert (site.kind, site.mechanism, site.interval_seconds, site.polls) == (
        SiteKind.TIMEOUT_LOOP,
        mechanism,
        4,
        Polls.HTTP,
    )


def test_node_loop_around_timers_promises_is_a_backend_loop() -> None:
    site = only(
        """
        import { setTimeout as wait } from 'node:timers/promises';
        import { pool } from './db';

        export async function watchJobs() {
          for (;;) {
            const { rows } = await pool.query('SELECT id FROM jobs WHERE state = $1', ['queued']);
            await dispatch(rows);
            await wait(2000);
          }
        }
        """,
        "server/src/watchers/jobs.ts",
    )
    assert (site.kind, site.interval_seconds, site.tables, site.context) == (
        SiteKind.LOOP,
        2,
        ("jobs",),
        Context.BACKEND,
    )


def test_retries_backoffs_and_sleeps_without_a_fetch_do_not_poll() -> None:
    code = """
    import { sleep } from './time';

    export async function withRetry(send) {
      for (let attempt = 0; attempt < 5; attempt++) {
        try { return await fetch('/api/v1/orders', { method: 'POST' }); } catch { await sleep(500 * 2 ** attempt); }
      }
    }
    export async function reconnect() {
      while (retries < MAX) { await sleep(backoffMs); await fetch('/api/v1/ping'); }
    }
    export async function blink(el) {
      while (true) { el.classList.toggle('on'); await sleep(500); }
    }
    export async function loadAll(pages) {
      await sleep(100);
      return fetch('/api/v1/items');
    }
    """
    assert sites(code, HOOK) == ()


def test_settings_constants_named_like_polling_options_are_followed_to_where_they_are_used() -> None:
    found = sites(
        """
        import { useQuery } from '@tanstack/react-query';

        const SETTINGS = { queue: { refetchInterval: 15_000, pageSize: 50 }, unused: { refreshInterval: 1000 } };
        const defaults = { refetchInterval: 9000 };

        export function QueuePanel() {
          const { data } = useQuery({
            queryKey: ['queue'],
            queryFn: fetchQueue,
            refetchInterval: SETTINGS.queue.refetchInterval,
          });
          return <ul>{data?.length}</ul>;
        }
        """
    )
    assert [(s.location.line, s.interval_seconds) for s in found] == [(10, 15)]


def test_polling_preferences_in_stores_context_values_and_settings_forms_are_not_query_options() -> None:
    found = sites(
        """
        import { useMemo } from 'react';
        import { useQuery, QueryObserver } from '@tanstack/react-query';
        import { create } from 'zustand';
        import { persist } from 'zustand/middleware';
        import { useShallow } from 'zustand/react/shallow';

        export const useSettingsStore = create()(
          persist((set) => ({ pollingInterval: 5, setSettings: (s) => set(s) }), { name: 'settings' }),
        );
        useSettingsStore.setState({ pollingInterval: 10 });

        export function Queues({ observer }) {
          const { pollingInterval } = useSettingsStore(useShallow(({ pollingInterval }) => ({ pollingInterval })));
          const [refetchInterval, setRefetchInterval] = useState(10_000);
          const value = useMemo(() => ({ refetchInterval, setRefetchInterval }), [refetchInterval]);
          const setSettings = useSettingsStore((s) => s.setSettings);
          observer.setOptions({ refetchInterval: 3000 });
          const { data } = useQuery({ queryFn: getQueues, refetchInterval: pollingInterval * 1e3 });
          return <select onChange={(e) => setSettings({ pollingInterval: +e.target.value })}>{data}</select>;
        }
        """
    )
    assert [(s.location.line, s.interval_seconds) for s in found] == [(17, 3), (18, None)]


def test_option_objects_used_whole_or_exported_stay_query_options() -> None:
    found = sites(
        """
        import { useQuery } from '@tanstack/react-query';

        const polling = { refetchInterval: 5000 };
        export const livePolling = { refetchInterval: 2000 };

        export function QueuePanel() {
          const { data } = useQuery({ queryKey: ['queue'], queryFn: fetchQueue, ...polling });
          return <ul>{data?.length}</ul>;
        }
        """
    )
    assert [(s.location.line, s.interval_seconds) for s in found] == [(3, 5), (4, 2)]


def test_classic_scripts_record_fetching_globals_and_timers_waiting_on_other_scripts() -> None:
    helpers = scan(
        """
        function updateQueue() { $.ajax({ url: '/admin/queue.json', success: render }); }
        var showQueue = function () { updateQueue(); };
        function render(rows) { $('#queue').html(rows.join('')); }
        """,
        "public/js/queue.js",
    )
    assert helpers.fetching_globals == ("updateQueue", "showQueue")
    page = scan("setInterval(function () { showQueue(); }, 20000);\n", "public/js/page.js")
    assert page.sites == ()
    (pending,) = page.pending_sites
    assert (pending.globals, pending.site.interval_seconds) == (("showQueue",), 20)
    module = scan("import { x } from './x';\nsetInterval(function () { showQueue(); }, 20000);\n", "src/page.js")
    assert module.pending_sites == () and module.fetching_globals == ()


@pytest.mark.parametrize(
    "code",
    [
        """
        import { QueryClient } from '@tanstack/react-query';
        const defaultOptions = { queries: { refetchInterval: 45_000 } };
        export const queryClient = new QueryClient({ defaultOptions });
        """,
        """
        import { SWRConfig } from 'swr';
        const swrOptions = { refreshInterval: 45_000, fetcher };
        export const Root = ({ children }) => <SWRConfig value={swrOptions}>{children}</SWRConfig>;
        """,
    ],
)
def test_global_polling_defaults_are_reported_once_at_their_definition(code: str) -> None:
    site = only(code, "app/client/src/lib/providers.tsx")
    assert (site.kind, site.interval_seconds, site.location.line) == (SiteKind.QUERY_OPTION, 45, 2)


# --- shapes seen in public apps ----------------------------------------------------------------------


def test_intervals_written_with_the_ms_package_and_static_cron_fields() -> None:
    found = sites(
        """
        import { Injectable } from '@nestjs/common';
        import { Cron } from '@nestjs/schedule';
        import ms from 'ms';
        import { interval } from 'rxjs';

        @Injectable()
        export class MarketService {
          private static readonly EVERY_HOUR_AT_RANDOM_MINUTE = `${new Date().getMinutes()} * * * *`;
          private static readonly EVERY_SUNDAY_AT_NOON = '0 12 * * 0';

          @Cron(MarketService.EVERY_HOUR_AT_RANDOM_MINUTE)
          async gatherHourly() { await this.dataProviderService.getQuotes(); }

          @Cron(MarketService.EVERY_SUNDAY_AT_NOON)
          async gatherWeekly() { await this.dataProviderService.getHistory(); }

          watch() { interval(ms('30 seconds')).subscribe(() => this.dataProviderService.getQuotes()); }
        }
        """,
        "apps/api/src/market/market.service.ts",
    )
    assert [(s.mechanism, s.interval_seconds) for s in found] == [
        ("NestJS @Cron", 3600),
        ("RxJS interval + subscribe", 30),
    ]


def test_retries_in_catch_heartbeat_pushes_and_config_services_do_not_poll() -> None:
    code = """
    import { sleep } from './util';

    export default {
      methods: {
        async goToMainServerWhenReady() {
          try {
            const res = await axios.get('/setup-database-info');
            if (res.data.ready) { location.href = '/'; }
          } catch (e) {
            await sleep(2000);
            await this.goToMainServerWhenReady();
          }
        },
        mounted() {
          setInterval(() => fetch('https://status.example.com/api/push/abc123?status=up&msg=OK'), 60000);
          setInterval(() => this.configurationService.get('FEATURE_FLAGS'), 5000);
        },
      },
    };
    """
    assert sites(code, "src/pages/setup.js") == ()


def test_re_arming_after_a_failure_waits_for_readiness() -> None:
    code = """
    function waitForServer(reload) {
      $.ajax({ url: '/api/info/login', method: 'GET' })
        .done(() => (reload ? location.reload() : overlay.hide()))
        .fail(() => { setTimeout(waitForServer, 500, reload); });
    }
    async function waitForApi() {
      try { await fetch('/api/health'); } catch { await sleep(1000); return waitForApi(); }
    }
    """
    assert sites(code, "public/js/utils.js") == ()


def test_engine_re_arming_itself_with_the_callback_it_was_handed() -> None:
    found = sites(
        """
        function callIfVisible(func) {
          if (document.hidden) {
            globalThis.setTimeout(callIfVisible, 1000, func);
            return;
          }
          func();
        }
        function setInter(func, interval) {
          globalThis.clearTimeout(func.timer);
          func.timer = globalThis.setTimeout(callIfVisible, interval, func);
          globalThis.setTimeout(setInter, interval, func, interval);
        }
        """,
        "public/js/utils.js",
    )
    assert [(s.kind, s.function, s.location.line) for s in found] == [(SiteKind.POLLING_ENGINE, "setInter", 11)]


def test_vue_root_and_store_fetches_and_a_timeout_re_armed_through_a_wrapper() -> None:
    found = sites(
        """
        export default {
          watch: {
            period(hours) {
              this.timer = setInterval(() => {
                this.$root.getMonitorChartData(this.monitorId, hours, (res) => (this.data = res.data));
              }, 5 * 60 * 1000);
              this.jobsTimer = setInterval(() => this.$store.dispatch('fetchJobs'), 20000);
            },
          },
        };
        """,
        "src/components/PingChart.js",
    )
    assert [(s.location.line, s.interval_seconds) for s in found] == [(4, 300), (7, 20)]
    (site,) = sites(
        """
        import { pool } from './db';
        export function start(monitor) {
          const beat = async () => {
            await pool.query('SELECT 1 FROM monitors WHERE id = $1', [monitor.id]);
            monitor.timer = setTimeout(safeBeat, monitor.interval * 1000);
          };
          const safeBeat = async () => {
            try { await beat(); } catch (e) { monitor.timer = setTimeout(safeBeat, 60_000); }
          };
          safeBeat();
        }
        """,
        "server/model/monitor.js",
    )
    assert (site.kind, site.location.line, site.tables) == (SiteKind.TIMEOUT_LOOP, 5, ("monitors",))


def test_a_log_service_fetching_pod_logs_is_not_a_logger() -> None:
    site = only(
        """
        import { timer } from 'rxjs';
        import { switchMap } from 'rxjs/operators';
        export class LogsComponent {
          refresh(): void {
            this.settings.onUpdate.pipe(switchMap(() => timer(0, 5000))).subscribe(() => this.load());
          }
          load(): void { this.logService.getPrevious(this.pod).subscribe((logs) => (this.logs = logs)); }
        }
        """,
        "modules/web/src/logs/component.ts",
    )
    assert (site.mechanism, site.interval_seconds, site.polls) == ("RxJS timer + subscribe", 5, Polls.HTTP)


def test_a_timer_re_armed_until_its_element_is_ready_then_calling_back_once_is_no_engine() -> None:
    code = """
    import { useEffect, useRef } from 'react';

    export function Node({ item, onMountItem }) {
      const itemRef = useRef(null);
      const timeoutRef = useRef(null);
      useEffect(() => {
        const checkComputedStyles = () => {
          const computedStyle = window.getComputedStyle(itemRef.current);
          if (computedStyle) {
            onMountItem(item, itemRef);
          } else {
            timeoutRef.current = setTimeout(checkComputedStyles, 100);
          }
        };
        setTimeout(checkComputedStyles, 100);
        return () => clearTimeout(timeoutRef.current);
      }, []);
      return <div ref={itemRef} />;
    }
    """
    assert sites(code) == ()
    # re-armed in both branches, it keeps calling what it was handed: still an engine
    rearm = "setTimeout(checkComputedStyles, 100);"
    looping = code.replace("onMountItem(item, itemRef);", "onMountItem(item, itemRef);\n" + rearm)
    assert {site.kind for site in sites(looping)} == {SiteKind.POLLING_ENGINE}
