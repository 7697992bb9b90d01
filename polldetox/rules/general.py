"""Rules that look across files or at the scan itself."""

from polldetox.findings import Severity
from polldetox.rules import Invalid, Rule, Valid

_BACKEND_WATCHER = """
import asyncio


async def watch_queue(pool, websocket_manager):
    while True:  # expect: PD102
        rows = await pool.fetch("SELECT id, name, status FROM queue_items")
        await websocket_manager.broadcast({"type": "queue_update", "data": [dict(r) for r in rows]})
        await asyncio.sleep(2)
"""

_BACKEND_ROUTE = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/api/v1/queue")
async def list_queue(pool=None):
    return await pool.fetch("SELECT id, name, status FROM queue_items")
"""

DOUBLE_POLLING = Rule(
    id="PD301",
    name="double-polling",
    summary="The backend polls and broadcasts data that the frontend also polls",
    severity=Severity.ERROR,
    section="Anti-Patterns to Avoid > Anti-Pattern 3: Multiple Polling Sources",
    what="""
Pairs a backend polling loop with a frontend polling site that polls the same data, and reports
the pair as one finding naming both places, one severity level above its parts. The two are
linked by what is visible in code: the URL the frontend fetches and the FastAPI, Flask, Django
or Express route that serves it (and the tables that route reads), the message type the backend
broadcasts and the type a frontend hook handles, or a table name both read.
""",
    why="""
Double the database queries, two update frequencies that disagree, and races over which update
wins; the WebSocket broadcast the backend already pays for is wasted.
""",
    example="""
```python
async def watch_queue():            # backend
    while True:
        await broadcast_queue()
        await asyncio.sleep(2)
```
```tsx
useQuery({ queryKey: ['queue'], queryFn: () => fetch('/api/v1/queue'), refetchInterval: 3000 });
```
""",
    use_instead="""
The backend broadcasts on change (`polldetox scaffold queue_items`), the frontend subscribes
with `useQueueItemsWebSocket()` and polls nothing.
""",
    valid=(
        Valid(
            path="app/server/services/queue_watcher.py",
            code=_BACKEND_WATCHER,
            extra_files=(
                ("app/server/routes/queue_routes.py", _BACKEND_ROUTE),
                (
                    "app/client/src/components/QueuePanel.tsx",
                    """
import { useQuery } from '@tanstack/react-query';

export function QueuePanel() {
  const { data } = useQuery({ queryKey: ['queue'], queryFn: () => fetch('/api/v1/queue').then((r) => r.json()) });
  return <div>{data?.length}</div>;
}
""",
                ),
            ),
        ),
    ),
    invalid=(
        Invalid(
            path="app/server/services/queue_watcher.py",
            code=_BACKEND_WATCHER,
            tables=("queue_items",),
            extra_files=(
                ("app/server/routes/queue_routes.py", _BACKEND_ROUTE),
                (
                    "app/client/src/components/QueuePanel.tsx",
                    """
import { useQuery } from '@tanstack/react-query';

export function QueuePanel() {
  const { data } = useQuery({
    queryKey: ['queue'],
    queryFn: () => fetch('/api/v1/queue').then((r) => r.json()),
    refetchInterval: 3000,  // expect: PD201, PD301
  });
  return <div>{data?.length}</div>;
}
""",
                ),
            ),
        ),
    ),
)

UNUSED_SUPPRESSION = Rule(
    id="PD901",
    name="unused-suppression",
    summary="A polldetox ignore comment suppresses nothing",
    severity=Severity.WARNING,
    section="(tool hygiene; see the suppression syntax in the README)",
    what="""
Reports `# polldetox: ignore[...]` and `// polldetox-ignore ...` comments that match no finding
on their own line or the line below, and ignore comments that name a rule id that does not
exist.
""",
    why="""
A stale suppression outlives the code it was written for and will silently hide the next
polling loop someone writes on that line.
""",
    example="""
```python
total = sum(values)  # polldetox: ignore[PD101]
```
""",
    use_instead="""
Delete the comment, or move it to the line the finding is reported on.
""",
    valid=(
        Valid(
            path="app/server/services/watchers.py",
            code="""
import time


def watch():
    while True:  # polldetox: ignore[PD101]
        refresh_cache()
        time.sleep(60)
""",
        ),
    ),
    invalid=(
        Invalid(
            path="app/server/services/stats.py",
            severity="warning",
            code="""
def total(values):
    return sum(values)  # polldetox: ignore[PD101]  # expect: PD901
""",
        ),
    ),
)

RULES = (DOUBLE_POLLING, UNUSED_SUPPRESSION)
