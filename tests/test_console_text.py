"""Text output prints the project's paths as they are: `[id]` is a folder, not a style tag, and `:100:` a line."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_fixtures.scans import init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app

ORDER_PAGE = "pages/orders/[id]/index.tsx"
ORDER_LIST = "src/OrderList.tsx"


def _order_list() -> str:
    """A list page whose query, polling through a shorthand option, sits on line 100."""
    head = ["import { useQuery } from '@tanstack/react-query';", "", "export function OrderList() {"]
    columns = ["  // id, customer, status, total: the columns the table below renders"] * (99 - len(head))
    query = (
        "  const { data } = useQuery({ queryKey: ['orders'], queryFn: () => fetch('/api/orders').then((r) => r.json()),"
        " refetchInterval });"
    )
    return "\n".join([*head, *columns, query, "  return data;", "}", ""])


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A Next.js shop: a dynamic `[id]` route polling with SWR, and a list polling on line 100."""
    root = tmp_path / "shop"
    (root / "pages/orders/[id]").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "db").mkdir()
    (root / "package.json").write_text('{"name": "shop", "dependencies": {"swr": "^2", "next": "^14"}}\n')
    (root / "db/schema.sql").write_text("CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL);\n")
    (root / ORDER_PAGE).write_text(
        "import useSWR from 'swr';\n\n"
        "export default function Order({ id }: { id: string }) {\n"
        "  const { data } = useSWR(`/api/orders/${id}`, { refreshInterval: 5000 });\n"
        "  return data?.status;\n"
        "}\n"
    )
    (root / ORDER_LIST).write_text(_order_list())
    init_repo(root)
    return root


def run(*arguments: str) -> Result:
    return CliRunner().invoke(app, list(arguments), env={"COLUMNS": "400"})


def test_migrate_prints_dynamic_route_folders_and_line_numbers(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop)
    done = run("migrate", "orders", "--schema", "db/schema.sql", "--dry-run")
    assert done.exit_code == 1, done.output
    report = done.stderr.splitlines()
    assert f"Would change {ORDER_PAGE}: useSWR refreshInterval in Order: polling option removed, " in "\n".join(report)
    assert f"Skipped {ORDER_LIST}:100: the polling option is not a plain `key: value` property here" in report
    written = run("migrate", "orders", "--schema", "db/schema.sql")
    assert any(line.startswith(f"Changed {ORDER_PAGE}: ") for line in written.stdout.splitlines()), written.output


def test_scan_and_its_report_file_print_paths_as_they_are(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop)
    done = run("scan")
    assert done.exit_code == 1, done.output
    assert f"{ORDER_PAGE}\n  4:" in done.stdout
    assert f"{ORDER_LIST}\n  100:" in done.stdout
    to_file = run("scan", "--output", "scan[id].txt")
    assert "Report written to scan[id].txt." in to_file.stdout
    assert f"{ORDER_PAGE}\n" in (shop / "scan[id].txt").read_text()
    html = run("report", "--output", "report[id]:100:.html")
    assert html.exit_code == 0, html.output
    assert "Report written to report[id]:100:.html." in html.stdout


def test_status_names_the_sites_that_still_poll_as_they_are(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop)
    done = run("status", "orders")
    assert f"still polls: {ORDER_PAGE}:4, {ORDER_LIST}:100" in done.stdout, done.output


def test_scaffold_prints_layout_paths_with_brackets_as_they_are(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (shop / "pyproject.toml").write_text(
        '[tool.polldetox.scaffold.layout]\ncomponent = "app/[locale]/orders/{pascal}Panel.tsx"\n'
    )
    monkeypatch.chdir(shop)
    planned = run("scaffold", "orders", "--schema", "db/schema.sql", "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert "app/[locale]/orders/OrderPanel.tsx" in planned.stdout
    assert "\nnew file app/[locale]/orders/OrderPanel.tsx (" in planned.stdout
    written = run("scaffold", "orders", "--schema", "db/schema.sql")
    assert (shop / "app/[locale]/orders/OrderPanel.tsx").is_file()
    assert "app/[locale]/orders/OrderPanel.tsx" in written.stdout
