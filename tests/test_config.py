from pathlib import Path

import pytest

from polldetox.config import Config, ConfigError, find_config_file, load_config, with_overrides
from polldetox.findings import Severity


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.root == tmp_path.resolve()
    assert config.source is None
    assert config.fail_on == Severity.ERROR
    assert config.dev_tool_spec.match_file("tools/scripts/monitor.py")
    assert config.trigger_spec.match_file("adws/adw_triggers/trigger_cron.py")
    assert config.exclude_spec.match_file("web/node_modules/react/index.js")


def test_pyproject_table_is_read_and_its_folder_is_the_root(write_tree) -> None:
    root = write_tree(
        {
            "pyproject.toml": """
            [project]
            name = "shop"

            [tool.polldetox]
            dev-tool-paths = ["tools/"]
            fail-on = "warning"
            extend-exclude = ["legacy/"]
            ignore = ["manual-refresh"]
            baseline = "polldetox-baseline.json"

            [tool.polldetox.severity]
            PD203 = "warning"
            PD205 = "off"

            [[tool.polldetox.per-path]]
            paths = ["app/client/src/admin/"]
            severity = { PD201 = "info" }
            ignore = ["PD203"]

            [tool.polldetox.scaffold]
            hook = "web/src/hooks/use{pascal}WebSocket.ts"
            """,
            "app/server/main.py": "",
        }
    )
    config = load_config(root / "app" / "server")
    assert config.root == root.resolve()
    assert config.fail_on == Severity.WARNING
    assert config.ignore == frozenset({"PD205"})
    assert config.baseline == root.resolve() / "polldetox-baseline.json"
    assert config.dev_tool_spec.match_file("tools/monitor.py")
    assert not config.dev_tool_spec.match_file("scripts/monitor.py")
    assert config.exclude_spec.match_file("legacy/old.py")
    assert config.rule_severity("PD203", "app/x.tsx", Severity.ERROR) == Severity.WARNING
    assert config.rule_severity("PD201", "app/client/src/admin/Users.tsx", Severity.ERROR) == Severity.INFO
    assert config.rule_severity("PD201", "app/client/src/Users.tsx", Severity.ERROR) == Severity.ERROR
    assert not config.rule_enabled("PD203", "app/client/src/admin/Users.tsx")
    assert config.rule_enabled("PD203", "app/client/src/Users.tsx")
    assert not config.rule_enabled("PD205", "anything.tsx")
    assert config.scaffold == {"hook": "web/src/hooks/use{pascal}WebSocket.ts"}


def test_pyproject_without_the_table_is_not_a_config(write_tree) -> None:
    root = write_tree({"pyproject.toml": "[project]\nname = 'x'\n", "a.py": ""})
    assert find_config_file(root / "a.py") is None


def test_standalone_file_wins_over_pyproject(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": 'fail-on = "warning"\n[severity]\nPD101 = "warning"\n',
            "pyproject.toml": "[tool.polldetox]\nfail-on = 'error'\n",
        }
    )
    config = load_config(root)
    assert config.fail_on == Severity.WARNING
    assert config.rule_severity("PD101", "a.py", Severity.ERROR) == Severity.WARNING


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("fail-on = 'sometimes'", "fail-on: expected one of error, warning"),
        ("colour = true", "unknown key(s) colour"),
        ("ignore = ['PD999']", "unknown rule 'PD999'"),
        ("[severity]\nPD101 = 'loud'", "expected error, warning, info or off"),
        ("dev-tool-paths = 3", "expected a string or a list of strings"),
        ("jobs = 0", "jobs: expected a positive whole number"),
        ("fail-on = ", "invalid TOML"),
    ],
)
def test_invalid_settings_are_clear_errors(write_tree, body: str, message: str) -> None:
    root = write_tree({".polldetox.toml": body + "\n"})
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(root)


def test_command_line_overrides_extend_and_replace(tmp_path: Path) -> None:
    config = Config(root=tmp_path, extend_exclude=("legacy/",))
    changed = with_overrides(config, select=["backend-polling-loop", "PD201"], extend_exclude=("vendor/",), jobs=None)
    assert changed.select == frozenset({"PD101", "PD201"})
    assert changed.extend_exclude == ("legacy/", "vendor/")
    assert changed.jobs is None
    assert not changed.rule_enabled("PD203", "a.tsx")
    with pytest.raises(ConfigError, match="unknown rule"):
        with_overrides(config, ignore=["no-such-rule"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("severity = 3", 'severity: expected a table such as { PD101 = "warning" }'),
        ("[severity]\nPD999 = 'error'", "severity: unknown rule 'PD999' (see `polldetox rules`)"),
        ("baseline = 3", "baseline: expected a string, got 3"),
        ("cache = 'yes'", "cache: expected true or false, got 'yes'"),
        ("per-path = 3", "per-path: each entry is a table with `paths` and `ignore` and/or `severity`"),
        ("[[per-path]]\nignore = ['PD101']", "per-path: expected keys paths, ignore, severity; got ignore"),
        ("[[per-path]]\npaths = ['a/']\ncolour = 1\nignore = []", "per-path: expected keys paths, ignore, severity; "
         "got colour, ignore, paths"),
        ("[[per-path]]\npaths = 3", "per-path paths: expected a string or a list of strings, got 3"),
        ("[[per-path]]\npaths = 'a/'\nignore = 3", "per-path ignore: expected a string or a list of strings, got 3"),
        ("[[per-path]]\npaths = 'a/'\nignore = 'PD999'", "per-path: unknown rule 'PD999' (see `polldetox rules`)"),
        ("[[per-path]]\npaths = 'a/'\nseverity = { PD101 = 'loud' }", "per-path severity PD101: expected error, "
         "warning, info or off, got 'loud'"),
    ],
)  # fmt: skip
def test_invalid_settings_name_where_and_what(write_tree, body: str, message: str) -> None:
    root = write_tree({".polldetox.toml": body + "\n"})
    with pytest.raises(ConfigError) as error:
        load_config(root)
    assert str(error.value) == f"{(root / '.polldetox.toml').resolve()} {message}"


def test_severity_levels_and_off_globally_and_per_path(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": """
            [severity]
            PD101 = "error"
            PD102 = "off"
            PD205 = "warning"

            [[per-path]]
            paths = "legacy/"
            ignore = "PD203"
            severity = { PD201 = "off", PD101 = "info" }
            """
        }
    )
    config = load_config(root)
    assert config.rule_severity("PD101", "app/a.py", Severity.WARNING) == Severity.ERROR
    assert config.rule_severity("PD101", "legacy/a.py", Severity.WARNING) == Severity.INFO
    assert config.rule_severity("PD205", "app/a.tsx", Severity.INFO) == Severity.WARNING
    assert not config.rule_enabled("PD102", "app/a.py")
    assert [config.rule_enabled(rule, "legacy/a.tsx") for rule in ("PD201", "PD203", "PD202")] == [False, False, True]
    assert [config.rule_enabled(rule, "app/a.tsx") for rule in ("PD201", "PD203")] == [True, True]
    assert config.per_path[0].patterns == ("legacy/",)


def test_test_paths_default_extend_replace_and_include(write_tree) -> None:
    config = load_config(write_tree({"src/app.py": ""}))
    for path in ("tests/test_api.py", "app/test_views.py", "pkg/api_test.py", "conftest.py",
                 "web/src/__tests__/Panel.tsx", "web/src/Panel.test.tsx", "web/src/api.spec.ts",
                 "web/e2e/login.ts", "web/cypress/support/commands.js", "web/playwright/poll.ts",
                 "src/prefect/testing/fixtures.py", "plugins/k8s/integration_tests/src/utils/k8s.py"):  # fmt: skip
        assert config.skips_tests_at(path), path
    for path in ("app/services/testing_service.py", "web/src/latest.ts", "app/contest.py", "app/run_tests.py"):
        assert not config.skips_tests_at(path), path
    root = write_tree(
        {
            "pyproject.toml": """
            [tool.polldetox]
            extend-test-paths = ["qa/"]
            """
        }
    )
    config = load_config(root)
    assert config.skips_tests_at("qa/smoke.py") and config.skips_tests_at("tests/test_x.py")
    assert not with_overrides(config, include_tests=True).skips_tests_at("tests/test_x.py")
    (root / "pyproject.toml").write_text('[tool.polldetox]\ntest-paths = ["checks/"]\ninclude-tests = false\n')
    config = load_config(root)
    assert config.skips_tests_at("checks/a.py") and not config.skips_tests_at("tests/test_x.py")
    (root / "pyproject.toml").write_text("[tool.polldetox]\ninclude-tests = true\n")
    assert not load_config(root).skips_tests_at("tests/test_x.py")
