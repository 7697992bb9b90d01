"""Configuration: `[tool.polldetox]` in pyproject.toml (or a `.polldetox.toml`) plus CLI overrides.

The result is one frozen `Config`. Path patterns use .gitignore syntax (via pathspec) and are
matched against paths relative to the project root, so `scripts/` means any folder named
scripts and `/scripts/` only the top-level one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pathspec

from polldetox.findings import Severity

CONFIG_FILES = (".polldetox.toml", "pyproject.toml")

# The standard's Exception 1 and 2 locations (Exception Cases section).
DEFAULT_DEV_TOOL_PATHS = ("scripts/", "adws/")
DEFAULT_TRIGGER_PATHS = ("adws/adw_triggers/", "triggers/")

# Test code: its waits for a condition and its fixtures are not the application's data path, so
# sites in these files are not judged unless `include-tests = true`.
DEFAULT_TEST_PATHS = (
    "test_*.py", "*_test.py", "conftest.py", "tests/", "test/", "__tests__/", "*.test.*", "*.spec.*",
    "*.cy.*", "testing/", "*_tests/", "e2e/", "cypress/", "playwright/",
)  # fmt: skip

# Folders that are never source of the application: dependencies, virtualenvs, build output, caches.
DEFAULT_EXCLUDE = (
    ".bzr/", ".direnv/", ".eggs/", ".git/", ".hg/", ".svn/", ".mypy_cache/", ".nox/", ".tox/",
    ".pytest_cache/", ".ruff_cache/", ".polldetox_cache/", ".venv/", "venv/", "__pypackages__/",
    "__pycache__/", "_build/", "buck-out/", "build/", "dist/", "node_modules/", "site-packages/",
    ".next/", ".nuxt/", ".svelte-kit/", ".turbo/", "coverage/", "*.min.js", "*.d.ts",
    "vendor/", "vendors/", "third_party/", "bower_components/", "*.min.mjs", "*.bundle.js",
)  # fmt: skip

FAIL_ON_CHOICES = ("error", "warning")


class ConfigError(Exception):
    """The configuration is invalid; the message says where and how to fix it."""


@dataclass(frozen=True)
class PathOverride:
    """`[[tool.polldetox.per-path]]`: rules ignored or re-graded under some paths."""

    patterns: tuple[str, ...]
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)  # None: rule off

    @cached_property
    def spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines(self.patterns)


@dataclass(frozen=True)
class Config:
    root: Path  # paths in findings are relative to it
    source: Path | None = None  # the file the settings came from
    include: tuple[str, ...] = ()  # empty: every supported source file
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply excludes to files named on the command line too
    dev_tool_paths: tuple[str, ...] = DEFAULT_DEV_TOOL_PATHS
    trigger_paths: tuple[str, ...] = DEFAULT_TRIGGER_PATHS
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    extend_test_paths: tuple[str, ...] = ()
    include_tests: bool = False  # judge sites in test files like any other
    select: frozenset[str] = frozenset()  # empty: every rule
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)  # None: rule off
    per_path: tuple[PathOverride, ...] = ()
    fail_on: Severity = Severity.ERROR
    baseline: Path | None = None
    cache: bool = True
    jobs: int | None = None  # parser processes; None: one per core
    scaffold: Mapping[str, object] = field(default_factory=dict)  # [tool.polldetox.scaffold], raw

    @cached_property
    def exclude_spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines((*self.exclude, *self.extend_exclude))

    @cached_property
    def include_spec(self) -> pathspec.GitIgnoreSpec | None:
        return pathspec.GitIgnoreSpec.from_lines(self.include) if self.include else None

    @cached_property
    def dev_tool_spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines(self.dev_tool_paths)

    @cached_property
    def trigger_spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines(self.trigger_paths)

    @cached_property
    def test_spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines((*self.test_paths, *self.extend_test_paths))

    def skips_tests_at(self, path: str) -> bool:
        """Whether sites at `path` are left unjudged as test code."""
        return not self.include_tests and self.test_spec.match_file(path)

    def rule_enabled(self, rule_id: str, path: str) -> bool:
        if self.select and rule_id not in self.select:
            return False
        if rule_id in self.ignore or self.severity.get(rule_id, Severity.ERROR) is None:
            return False
        for override in self._overrides_for(path):
            if rule_id in override.ignore or override.severity.get(rule_id, Severity.ERROR) is None:
                return False
        return True

    def rule_severity(self, rule_id: str, path: str, default: Severity) -> Severity:
        """The configured severity of a rule at a path: per-path beats global beats the default."""
        severity = self.severity.get(rule_id) or default
        for override in self._overrides_for(path):
            severity = override.severity.get(rule_id) or severity
        return severity

    def _overrides_for(self, path: str) -> Iterable[PathOverride]:
        return (override for override in self.per_path if override.spec.match_file(path))


def find_config_file(start: Path) -> Path | None:
    """The nearest `.polldetox.toml`, or pyproject.toml with a [tool.polldetox] table, at or above start."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_polldetox_table(candidate)):
                return candidate
    return None


def _has_polldetox_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "polldetox" not in text:  # most pyproject.toml files on the way up: no need to parse them
        return False
    import tomllib  # on first need: a scan under no configuration file does not load the parser

    try:
        return "polldetox" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def load_config(root: Path, config_file: Path | None = None) -> Config:
    """Read the settings that apply to `root` (a file or folder being scanned).

    With no configuration file, the defaults apply and `root` itself is the project root.
    With one, the folder holding it is the project root.
    """
    root = root.resolve()
    config_file = config_file.resolve() if config_file else find_config_file(root)
    if config_file is None:
        return Config(root=root if root.is_dir() else root.parent)
    import tomllib

    try:
        document = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{config_file}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{config_file}: invalid TOML: {error}") from error
    table = document.get("tool", {}).get("polldetox", {}) if config_file.name == "pyproject.toml" else document
    if config_file.name != "pyproject.toml" and "tool" in table:
        table = table["tool"].get("polldetox", table)
    return _config_from_table(table, config_file)


_KNOWN_KEYS = {
    "include", "exclude", "extend-exclude", "respect-gitignore", "dev-tool-paths", "trigger-paths",
    "test-paths", "extend-test-paths", "include-tests",
    "select", "ignore", "severity", "per-path", "fail-on", "baseline", "cache", "jobs", "scaffold",
}  # fmt: skip


def _config_from_table(table: Mapping[str, object], source: Path) -> Config:
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}")
    where = f"{source} [tool.polldetox]" if source.name == "pyproject.toml" else str(source)
    settings: dict[str, object] = {"root": source.parent, "source": source}
    for key in ("include", "exclude", "extend-exclude", "dev-tool-paths", "trigger-paths", "test-paths",
                "extend-test-paths"):  # fmt: skip
        if key in table:
            settings[key.replace("-", "_")] = _strings(table[key], f"{where} {key}")
    for key in ("select", "ignore"):
        if key in table:
            settings[key] = frozenset(_rule_ids(_strings(table[key], f"{where} {key}"), f"{where} {key}"))
    for key in ("respect-gitignore", "cache", "include-tests"):
        if key in table:
            settings[key.replace("-", "_")] = _boolean(table[key], f"{where} {key}")
    if "severity" in table:
        settings["severity"] = _severity_map(table["severity"], f"{where} severity")
    if "per-path" in table:
        settings["per_path"] = tuple(_per_path(entry, f"{where} per-path") for entry in _list(table["per-path"]))
    if "fail-on" in table:
        settings["fail_on"] = parse_fail_on(table["fail-on"], f"{where} fail-on")
    if "baseline" in table:
        settings["baseline"] = source.parent / _string(table["baseline"], f"{where} baseline")
    if "jobs" in table:
        jobs = table["jobs"]
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ConfigError(f"{where} jobs: expected a positive whole number, got {jobs!r}")
        settings["jobs"] = jobs
    if "scaffold" in table:
        scaffold = table["scaffold"]
        if not isinstance(scaffold, dict):
            raise ConfigError(f"{where} scaffold: expected a table")
        settings["scaffold"] = scaffold
    return Config(**settings)  # type: ignore[arg-type]


def parse_fail_on(value: object, where: str = "--fail-on") -> Severity:
    if value not in FAIL_ON_CHOICES:
        raise ConfigError(f"{where}: expected one of {', '.join(FAIL_ON_CHOICES)}, got {value!r}")
    return Severity(value)


def with_overrides(config: Config, **overrides: object) -> Config:
    """The config with command-line values applied; None means "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if "select" in given or "ignore" in given:
        for key in ("select", "ignore"):
            if key in given:
                given[key] = frozenset(_rule_ids(given[key], f"--{key}"))  # type: ignore[arg-type]
    if "extend_exclude" in given:
        given["extend_exclude"] = (*config.extend_exclude, *given["extend_exclude"])  # type: ignore[misc]
    return replace(config, **given)  # type: ignore[arg-type]


def _rule_ids(values: Iterable[str], where: str) -> list[str]:
    from polldetox.rules import get_rule

    ids = []
    for value in values:
        rule = get_rule(value)
        if rule is None:
            raise ConfigError(f"{where}: unknown rule {value!r} (see `polldetox rules`)")
        ids.append(rule.id)
    return ids


def _severity_map(value: object, where: str) -> dict[str, Severity | None]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: expected a table such as {{ PD101 = "warning" }}')
    result: dict[str, Severity | None] = {}
    for rule, level in value.items():
        (rule_id,) = _rule_ids([rule], where)
        if level == "off":
            result[rule_id] = None
        elif level in ("error", "warning", "info"):
            result[rule_id] = Severity(level)
        else:
            raise ConfigError(f"{where} {rule}: expected error, warning, info or off, got {level!r}")
    return result


def _per_path(entry: object, where: str) -> PathOverride:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each entry is a table with `paths` and `ignore` and/or `severity`")
    unknown = sorted(set(entry) - {"paths", "ignore", "severity"})
    if unknown or "paths" not in entry:
        raise ConfigError(f"{where}: expected keys paths, ignore, severity; got {', '.join(sorted(entry))}")
    return PathOverride(
        patterns=_strings(entry["paths"], f"{where} paths"),
        ignore=frozenset(_rule_ids(_strings(entry.get("ignore", []), f"{where} ignore"), where)),
        severity=_severity_map(entry.get("severity", {}), f"{where} severity"),
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings, got {value!r}")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value
