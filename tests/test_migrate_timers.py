"""The effect-timer codemod on its own: the plain shapes it rewrites, and each variation it refuses."""

from __future__ import annotations

import re

import pytest

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_timers import migrate_timer_site

HOOK, MODULE = "useOrderWebSocket", "../hooks/useOrderWebSocket"

TICKER = """\
import { useEffect, useState } from 'react';

import { TICK_MS } from './timing';

export function Ticker() {
  const [rows, setRows] = useState<number[]>([]);
  useEffect(() => {
    const load = () => void fetch('/api/orders').then((r) => r.json()).then(setRows);
    load();
    const id = setInterval(load, TICK_MS);
    return () => clearInterval(id);
  }, []);
  return <p>{rows.length}</p>;
}
"""


def line_of(source: str, needle: str) -> int:
    return source.count("\n", 0, source.index(needle)) + 1


def test_an_interval_without_a_first_load_gets_one_and_its_import_goes() -> None:
    source = TICKER.replace("    load();\n", "")
    edit = migrate_timer_site(source, "Ticker.tsx", line_of(source, "setInterval"), HOOK, MODULE)
    assert edit.source == (
        "import { useEffect, useState } from 'react';\n\n"
        "import { useOrderWebSocket } from '../hooks/useOrderWebSocket';\n\n"
        "export function Ticker() {\n"
        "  const [rows, setRows] = useState<number[]>([]);\n"
        "  const { lastUpdated } = useOrderWebSocket();\n"
        "  useEffect(() => {\n"
        "    const load = () => void fetch('/api/orders').then((r) => r.json()).then(setRows);\n"
        "    load();\n"
        "  }, [lastUpdated]);\n"
        "  return <p>{rows.length}</p>;\n"
        "}\n"
    )
    assert edit.removed_names == (("./timing", "TICK_MS"),)


def test_a_cleanup_that_does_more_keeps_the_rest_and_deps_grow() -> None:
    source = TICKER.replace(
        "    return () => clearInterval(id);\n  }, []);",
        "    return () => {\n      clearInterval(id);\n      setRows([]);\n    };\n  }, [setRows]);",
    )
    edit = migrate_timer_site(source, "Ticker.tsx", line_of(source, "setInterval"), HOOK, MODULE)
    assert "    load();\n    return () => {\n      setRows([]);\n    };\n  }, [setRows, lastUpdated]);\n" in edit.source


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("setInterval(load, TICK_MS)", "setInterval(makeLoader('/api/orders'), TICK_MS)"),
            "the setInterval callback is \"makeLoader('/api/orders')\", not a function",
        ),
        (("setInterval(load, TICK_MS)", "setInterval(load, TICK_MS, 'orders')"), "not called with just a callback"),
        (("  }, []);", "  });"), "the effect has no dependency array"),
        (
            ("    load();\n", "    load();\n    console.log(id);\n"),
            "the timer handle `id` is used for more than clearing it",
        ),
        (
            ("    const id = setInterval", "    ref.current = setInterval"),
            "handle is kept outside the effect (ref.current)",
        ),
        (("  useEffect(() => {", "  const start = useCallback(() => {"), "the timer is not inside a useEffect"),
        (
            (
                "    const id = setInterval(load, TICK_MS);\n",
                "    if (rows) {\n      setInterval(load, TICK_MS);\n    }\n",
            ),
            "setInterval is not a statement of the effect itself",
        ),
        (("  return <p>", "  const { lastUpdated } = useRecent();\n  return <p>"), "`lastUpdated` already names"),
    ],
)
def test_unsafe_interval_variations_are_refused(change: tuple[str, str], reason: str) -> None:
    source = TICKER.replace(*change)
    with pytest.raises(Unsafe, match=re.escape(reason)):
        migrate_timer_site(source, "Ticker.tsx", line_of(source, "setInterval"), HOOK, MODULE)


@pytest.mark.parametrize("wrapper", ["() => load()", "() => void load()", "() => {\n      load();\n    }"])
def test_an_arrow_that_only_calls_the_load_is_the_named_shape(wrapper: str) -> None:
    source = TICKER.replace("setInterval(load, TICK_MS)", f"setInterval({wrapper}, TICK_MS)")
    named = migrate_timer_site(TICKER, "Ticker.tsx", line_of(TICKER, "setInterval"), HOOK, MODULE)
    edit = migrate_timer_site(source, "Ticker.tsx", line_of(source, "setInterval"), HOOK, MODULE)
    assert edit == named


INLINE = """\
import { useEffect, useState } from 'react';

import { TICK_MS } from './timing';

export function Ticker() {
  const [rows, setRows] = useState<number[]>([]);
  useEffect(() => {
    const id = setInterval(() => {
      fetch('/api/orders').then((r) => r.json()).then(setRows);
    }, TICK_MS);
    return () => clearInterval(id);
  }, []);
  return <p>{rows.length}</p>;
}
"""


def test_an_inline_interval_callback_becomes_the_load_called_once() -> None:
    edit = migrate_timer_site(INLINE, "Ticker.tsx", line_of(INLINE, "setInterval"), HOOK, MODULE)
    assert edit.source == (
        "import { useEffect, useState } from 'react';\n\n"
        "import { useOrderWebSocket } from '../hooks/useOrderWebSocket';\n\n"
        "export function Ticker() {\n"
        "  const [rows, setRows] = useState<number[]>([]);\n"
        "  const { lastUpdated } = useOrderWebSocket();\n"
        "  useEffect(() => {\n"
        "    const load = () => {\n"
        "      fetch('/api/orders').then((r) => r.json()).then(setRows);\n"
        "    };\n"
        "    load();\n"
        "  }, [lastUpdated]);\n"
        "  return <p>{rows.length}</p>;\n"
        "}\n"
    )
    assert edit.removed_names == (("./timing", "TICK_MS"),)


def test_an_async_inline_callback_without_a_handle_is_started_with_void() -> None:
    source = INLINE.replace(
        "    const id = setInterval(() => {\n      fetch('/api/orders').then((r) => r.json()).then(setRows);\n"
        "    }, TICK_MS);\n    return () => clearInterval(id);\n",
        "    setInterval(async () => {\n      const r = await fetch('/api/orders');\n"
        "      setRows(await r.json());\n    }, 3000);\n",
    )
    edit = migrate_timer_site(source, "Ticker.tsx", line_of(source, "setInterval"), HOOK, MODULE)
    assert (
        "  useEffect(() => {\n"
        "    const load = async () => {\n"
        "      const r = await fetch('/api/orders');\n"
        "      setRows(await r.json());\n"
        "    };\n"
        "    void load();\n"
        "  }, [lastUpdated]);\n"
    ) in edit.source
    assert "import { TICK_MS } from './timing';" in edit.source  # still imported: the file's own concern


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("then(setRows);\n", "then(setRows);\n      if (rows.length > 99) clearInterval(id);\n"),
            "the setInterval callback uses its own handle `id` (it stops itself on a condition)",
        ),
        (("  useEffect(() => {", "  const load = 1;\n  useEffect(() => {"), "`load` already names something"),
        (
            ("setInterval(() => {", "setInterval(function () {\n      this.tick();"),
            "a function expression using `this` or `arguments`",
        ),
        (
            (
                "then(setRows);\n    }, TICK_MS);\n",
                "then(setRows);\n      if (stopped) setRows([]);\n    }, TICK_MS);\n    const stopped = false;\n",
            ),
            "the setInterval callback reads stopped, declared after the timer",
        ),
        (
            ("const id = setInterval(() => {", "const id = setTimeout(() => {"),
            "the setTimeout callback is written inline and re-arms nothing by name",
        ),
    ],
)
def test_unsafe_inline_variations_are_refused(change: tuple[str, str], reason: str) -> None:
    source = INLINE.replace(*change)
    timer = "setTimeout" if "setTimeout" in source else "setInterval"
    with pytest.raises(Unsafe, match=re.escape(reason)):
        migrate_timer_site(source, "Ticker.tsx", line_of(source, timer), HOOK, MODULE)


POLLER = """\
import { useEffect } from 'react';

export function Poller({ onRows }: { onRows: (rows: unknown[]) => void }) {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    async function poll() {
      onRows(await (await fetch('/api/orders')).json());
      timer = setTimeout(poll, 2000);
    }
    poll();
    return () => clearTimeout(timer);
  }, [onRows]);
  return null;
}
"""


def test_a_recursive_timeout_loses_its_rearm_handle_and_cleanup() -> None:
    edit = migrate_timer_site(POLLER, "Poller.tsx", line_of(POLLER, "setTimeout(poll"), HOOK, MODULE)
    assert (
        "  const { lastUpdated } = useOrderWebSocket();\n"
        "  useEffect(() => {\n"
        "    async function poll() {\n"
        "      onRows(await (await fetch('/api/orders')).json());\n"
        "    }\n"
        "    poll();\n"
        "  }, [onRows, lastUpdated]);\n"
    ) in edit.source


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("    poll();\n", ""), "poll is never called before its first timer"),
        (
            (
                "      timer = setTimeout(poll, 2000);\n    }",
                "      timer = setTimeout(poll, 2000);\n      log();\n    }",
            ),
            "setTimeout does not re-arm poll as the last step of poll itself",
        ),
        (("    poll();\n", "    poll();\n    console.log(timer);\n"), "the timer handle `timer` is used for more"),
    ],
)
def test_unsafe_timeout_variations_are_refused(change: tuple[str, str], reason: str) -> None:
    source = POLLER.replace(*change)
    with pytest.raises(Unsafe, match=re.escape(reason)):
        migrate_timer_site(source, "Poller.tsx", line_of(source, "setTimeout(poll"), HOOK, MODULE)
