"""Apollo's startPolling codemod on its own: the shapes it rewrites, and each variation it refuses."""

from __future__ import annotations

import re

import pytest

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_apollo_polling import migrate_start_polling
from polldetox.migrate.ts_edits import HookUse

HOOK = HookUse("useOrderWebSocket", "../hooks/useOrderWebSocket", None, on_change=True)

STOCK = """\
import { useEffect } from 'react';
import { gql, useQuery } from '@apollo/client';

import { STOCK_POLL_MS } from './timing';

const GET_STOCK = gql`
  query Stock {
    stock { sku count }
  }
`;

export function Stock() {
  const { data, startPolling, stopPolling } = useQuery(GET_STOCK);

  useEffect(() => {
    startPolling(STOCK_POLL_MS);
    return () => stopPolling();
  }, [startPolling, stopPolling]);

  return <p>{data?.stock.length}</p>;
}
"""


def line_of(source: str, needle: str) -> int:
    return source.count("\n", 0, source.index(needle)) + 1


def migrate(source: str, hook: HookUse = HOOK) -> str:
    return migrate_start_polling(source, "Stock.tsx", line_of(source, "startPolling("), hook).source


def test_the_start_and_stop_go_with_their_effect_and_the_hook_refetches() -> None:
    edit = migrate_start_polling(STOCK, "Stock.tsx", line_of(STOCK, "startPolling("), HOOK)
    assert edit.source == (
        "import { gql, useQuery } from '@apollo/client';\n\n"
        "import { useOrderWebSocket } from '../hooks/useOrderWebSocket';\n\n"
        "const GET_STOCK = gql`\n  query Stock {\n    stock { sku count }\n  }\n`;\n\n"
        "export function Stock() {\n"
        "  const { data, refetch } = useQuery(GET_STOCK);\n"
        "  useOrderWebSocket({ onChange: () => void refetch() });\n\n"
        "  return <p>{data?.stock.length}</p>;\n"
        "}\n"
    )
    assert edit.removed_names == (("react", "useEffect"), ("./timing", "STOCK_POLL_MS"))
    assert edit.push == "startPolling and stopPolling removed, useOrderWebSocket's onChange revalidates Apollo's cache"


def test_an_effect_that_does_more_keeps_the_rest_and_loses_the_dependencies() -> None:
    source = STOCK.replace(
        "    return () => stopPolling();\n  }, [startPolling, stopPolling]);",
        "    document.title = 'Stock';\n    return () => {\n      stopPolling();\n      document.title = '';\n"
        "    };\n  }, [startPolling, stopPolling, data]);",
    )
    assert (
        "  const { data, refetch } = useQuery(GET_STOCK);\n"
        "  useOrderWebSocket({ onChange: () => void refetch() });\n\n"
        "  useEffect(() => {\n"
        "    document.title = 'Stock';\n"
        "    return () => {\n"
        "      document.title = '';\n"
        "    };\n"
        "  }, [data]);\n"
    ) in migrate(source)


def test_a_kept_result_and_a_returned_stop_are_the_same_shape() -> None:
    effect = "    startPolling(STOCK_POLL_MS);\n    return () => stopPolling();\n  }, [startPolling, stopPolling]);"
    source = (
        STOCK.replace("const { data, startPolling, stopPolling } = useQuery", "const stock = useQuery")
        .replace(effect, "    stock.startPolling(STOCK_POLL_MS);\n    return stock.stopPolling;\n  }, [stock]);")
        .replace("data?.stock", "stock.data?.stock")
    )
    assert (
        "  const stock = useQuery(GET_STOCK);\n"
        "  useOrderWebSocket({ onChange: () => void stock.refetch() });\n\n"
        "  return <p>{stock.data?.stock.length}</p>;\n"
    ) in migrate(source)


def test_stop_polling_used_elsewhere_stays_destructured() -> None:
    source = STOCK.replace("  return <p>", "  const pause = () => stopPolling();\n  return <p onClick={pause}>")
    assert "  const { data, stopPolling, refetch } = useQuery(GET_STOCK);\n" in migrate(source)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("    startPolling(STOCK_POLL_MS);\n", "    if (data) startPolling(STOCK_POLL_MS);\n"),
            "startPolling is not a statement of the effect itself (it starts on a condition)",
        ),
        (
            ("    return () => stopPolling();\n", "    window.onblur = () => stopPolling();\n"),
            "stopPolling is not in the effect's cleanup",
        ),
        (
            ("  useEffect(() => {\n    startPolling", "  const live = useCallback(() => {\n    startPolling"),
            "startPolling is not inside a useEffect",
        ),
        (
            ("import { gql, useQuery } from '@apollo/client';", "import { gql, useQuery } from './graphql';"),
            "startPolling comes from useQuery, not Apollo's useQuery",
        ),
        (
            (
                "const { data, startPolling, stopPolling } = useQuery(GET_STOCK);",
                "const { data } = useQuery(GET_STOCK);",
            ),
            "startPolling is not taken from a useQuery result in this file",
        ),
        (
            ("    return () => stopPolling();\n", "    return () => stopPolling();\n    console.log(startPolling);\n"),
            "the effect uses startPolling or stopPolling beyond starting and stopping",
        ),
    ],
)
def test_unsafe_variations_are_refused(change: tuple[str, str], reason: str) -> None:
    with pytest.raises(Unsafe, match=re.escape(reason)):
        migrate(STOCK.replace(*change))


def test_a_hook_without_on_change_is_refused_with_what_to_do() -> None:
    with pytest.raises(Unsafe, match=re.escape("useQuery keeps its own cache and useOrderWebSocket takes no onChange")):
        migrate(STOCK, HookUse(HOOK.name, HOOK.module, None))
