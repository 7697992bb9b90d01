"""An interval constant imported through the `@/` source alias is removed once unused, as a relative import's is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_fixtures.scans import init_repo
from typer.testing import CliRunner

from polldetox.cli import app

CONSTANTS = "export const ORDERS_INTERVAL = 5000;\nexport const PAGE_SIZE = 50;\n"
ORDERS_QUERY = """\
import {{ useQuery }} from '@tanstack/react-query';
import {{ ORDERS_INTERVAL }} from '{specifier}';

export function useOrders() {{
  const query = useQuery({{
    queryKey: ['orders'],
    queryFn: () => fetch('/api/orders').then((r) => r.json()),
    refetchInterval: ORDERS_INTERVAL,
  }});
  return query.data;
}}
"""


@pytest.mark.parametrize("specifier", ["@/lib/constants", "../../lib/constants"])
def test_the_unused_interval_constant_goes_whichever_way_it_was_imported(tmp_path: Path, specifier: str) -> None:
    root = tmp_path / "dashboard"
    (root / "src/lib").mkdir(parents=True)
    (root / "src/components/queries").mkdir(parents=True)
    (root / "db").mkdir()
    (root / "package.json").write_text('{"name": "dashboard", "dependencies": {"@tanstack/react-query": "^5"}}\n')
    (root / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": {"strict": True, "baseUrl": ".", "paths": {"@/*": ["./src/*"]}}})
    )
    (root / "db/schema.sql").write_text("CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL);\n")
    (root / "src/lib/constants.ts").write_text(CONSTANTS)
    (root / "src/components/queries/useOrders.ts").write_text(ORDERS_QUERY.format(specifier=specifier))
    init_repo(root)
    done = CliRunner().invoke(app, ["migrate", "orders", "--schema", str(root / "db/schema.sql"), "--root", str(root)])
    assert done.exit_code == 0, done.output
    assert (root / "src/lib/constants.ts").read_text() == "export const PAGE_SIZE = 50;\n"
    assert "ORDERS_INTERVAL" not in (root / "src/components/queries/useOrders.ts").read_text()
    assert "Changed src/lib/constants.ts: the interval constant ORDERS_INTERVAL is used nowhere any more" in done.stdout
