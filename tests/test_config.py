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


def test_config_file_search_from_a_file_and_upwards(write_tree) -> None:
    root = write_tree(
        {
            "pyproject.toml": "[tool.polldetox]\nfail-on = 'warning'\n",
            "svc/pyproject.toml": "[project]\nname = 'svc'\n",
            "svc/broken/pyproject.toml": "[tool.polldetox\n",
            "svc/broken/app.py": "",
            "local/.polldetox.toml": "",
            "local/pyproject.toml": "[tool.polldetox]\n",
        }
    )
    # An unreadable or table-less pyproject.toml is passed over, up to the one with the table.
    assert find_config_file(root / "svc" / "broken" / "app.py") == root / "pyproject.toml"
    assert find_config_file(root / "svc" / "broken") == root / "pyproject.toml"
    assert find_config_file(root / "local") == root / "local" / ".polldetox.toml"
    config = load_config(root / "svc" / "broken" / "app.py")
    assert (config.root, config.source) == (root.resolve(), (root / "pyproject.toml").resolve())
    assert config.fail_on == Severity.WARNING


def test_without_a_config_file_a_scanned_file_roots_at_its_folder(write_tree) -> None:
    root = write_tree({"app/poll.py": ""})
    config = load_config(root / "app" / "poll.py")
    assert (config.root, config.source, config.jobs, config.cache) == ((root / "app").resolve(), None, None, True)
    assert (config.include_spec, config.include, config.select, config.ignore) == (None, (), frozenset(), frozenset())


def test_an_explicit_config_file_and_a_nested_tool_table(write_tree) -> None:
    root = write_tree(
        {
            "conf/polldetox.toml": "[tool.polldetox]\njobs = 3\ncache = false\nrespect-gitignore = false\n",
            "pyproject.toml": "[tool.polldetox]\njobs = 1\n",
        }
    )
    config = load_config(root, root / "conf" / "polldetox.toml")
    assert (config.jobs, config.cache, config.respect_gitignore) == (3, False, False)
    assert (config.root, config.source) == ((root / "conf").resolve(), (root / "conf" / "polldetox.toml").resolve())


def test_every_setting_is_read(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": """
            include = ["app/"]
            exclude = "gen/"
            extend-exclude = ["old/"]
            dev-tool-paths = ["ops/"]
            trigger-paths = "cron/"
            test-paths = ["checks/"]
            extend-test-paths = "qa/"
            include-tests = true
            select = ["PD101", "manual-refresh"]
            ignore = "PD203"
            jobs = 4
            scaffold = { hook = "web/use{pascal}.ts" }
            """
        }
    )
    config = load_config(root)
    assert (config.include, config.exclude, config.extend_exclude) == (("app/",), ("gen/",), ("old/",))
    assert (config.dev_tool_paths, config.trigger_paths) == (("ops/",), ("cron/",))
    assert (config.test_paths, config.extend_test_paths, config.include_tests) == (("checks/",), ("qa/",), True)
    assert (config.select, config.ignore) == (frozenset({"PD101", "PD205"}), frozenset({"PD203"}))
    assert (config.jobs, config.scaffold) == (4, {"hook": "web/use{pascal}.ts"})
    assert config.include_spec.match_file("app/a.py") and not config.include_spec.match_file("lib/a.py")
    assert config.exclude_spec.match_file("gen/a.py") and config.exclude_spec.match_file("old/a.py")
    assert not config.exclude_spec.match_file("node_modules/a.js")
    assert config.test_spec.match_file("qa/a.py") and config.test_spec.match_file("checks/a.py")
    assert not config.skips_tests_at("qa/a.py")
    assert config.rule_enabled("PD101", "a.py") and not config.rule_enabled("PD102", "a.py")
    assert not config.rule_enabled("PD203", "a.tsx")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("jobs = true", "jobs: expected a positive whole number, got True"),
        ("jobs = '2'", "jobs: expected a positive whole number, got '2'"),
        ("jobs = -1", "jobs: expected a positive whole number, got -1"),
        ("scaffold = 3", "scaffold: expected a table"),
        ("include = ['a/', 3]", "include: expected a string or a list of strings, got ['a/', 3]"),
        ("select = ['PD999']", "select: unknown rule 'PD999' (see `polldetox rules`)"),
        ("ignore = 3", "ignore: expected a string or a list of strings, got 3"),
        ("include-tests = 1", "include-tests: expected true or false, got 1"),
        ("respect-gitignore = 'no'", "respect-gitignore: expected true or false, got 'no'"),
        ("fail-on = 'info'", "fail-on: expected one of error, warning, got 'info'"),
        ("colour = 1\nshade = 2", "unknown key(s) colour, shade; known: baseline, cache, dev-tool-paths, exclude, "
         "extend-exclude, extend-test-paths, fail-on, ignore, include, include-tests, jobs, per-path, "
         "respect-gitignore, scaffold, select, severity, test-paths, trigger-paths"),
    ],
)  # fmt: skip
def test_pyproject_errors_name_the_table(write_tree, body: str, message: str) -> None:
    root = write_tree({"pyproject.toml": "[tool.polldetox]\n" + body + "\n"})
    with pytest.raises(ConfigError) as error:
        load_config(root)
    source = (root / "pyproject.toml").resolve()
    where = f"{source} [tool.polldetox]" if not message.startswith("unknown") else f"{source}:"
    assert str(error.value) == f"{where} {message}"


def test_unreadable_and_invalid_files_are_config_errors(write_tree) -> None:
    root = write_tree({".polldetox.toml": "fail-on = \n"})
    source = (root / ".polldetox.toml").resolve()
    with pytest.raises(ConfigError) as error:
        load_config(root)
    assert str(error.value).startswith(f"{source}: invalid TOML: ")
    source.write_bytes(b"fail-on = '\xff'\n")
    with pytest.raises(ConfigError) as error:
        load_config(root)
    assert str(error.value).startswith(f"{source}: cannot read: ")


def test_command_line_fail_on_and_ignore(tmp_path: Path) -> None:
    from polldetox.config import parse_fail_on

    assert parse_fail_on("warning") == Severity.WARNING
    with pytest.raises(ConfigError) as error:
        parse_fail_on("never")
    assert str(error.value) == "--fail-on: expected one of error, warning, got 'never'"
    changed = with_overrides(Config(root=tmp_path), ignore=["manual-refresh"], cache=False, baseline=None)
    assert (changed.ignore, changed.select, changed.cache, changed.baseline) == (
        frozenset({"PD205"}), frozenset(), False, None)  # fmt: skip
    with pytest.raises(ConfigError) as error:
        with_overrides(Config(root=tmp_path), select=["PD999"])
    assert str(error.value) == "--select: unknown rule 'PD999' (see `polldetox rules`)"


def test_a_per_path_entry_needs_only_paths_and_one_of_ignore_or_severity(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": """
            [[per-path]]
            paths = "legacy/"
            ignore = "PD203"

            [[per-path]]
            paths = "admin/"
            severity = { PD201 = "info" }
            """
        }
    )
    ignoring, grading = load_config(root).per_path
    assert (ignoring.ignore, dict(ignoring.severity)) == (frozenset({"PD203"}), {})
    assert (grading.ignore, dict(grading.severity)) == (frozenset(), {"PD201": Severity.INFO})


def test_one_parser_process_is_a_valid_jobs_setting(write_tree) -> None:
    assert load_config(write_tree({".polldetox.toml": "jobs = 1\n"})).jobs == 1


def test_a_pyproject_given_without_a_polldetox_table_means_the_defaults(write_tree) -> None:
    for body in ("[project]\nname = 'shop'\n", "[tool.ruff]\nline-length = 100\n"):
        root = write_tree({"pyproject.toml": body})
        config = load_config(root, root / "pyproject.toml")
        assert (config.root, config.jobs, config.fail_on) == (root.resolve(), None, Severity.ERROR)
