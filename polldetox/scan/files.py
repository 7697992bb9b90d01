"""Which files a scan reads: discovery under the given paths, .gitignore, include/exclude, language.

Directories are walked with os.scandir; symlinked folders are followed once (a loop is detected
by device and inode and not entered again). Files named on the command line are scanned even
when a pattern excludes them, unless `force_exclude` is set (what pre-commit needs).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from polldetox.config import Config
from polldetox.findings import ScanError

LANGUAGES = {
    ".py": "python",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    # Vue and Svelte components: their <script> blocks are TypeScript or JavaScript.
    ".vue": "javascript",
    ".svelte": "javascript",
    # HTML pages: their inline <script> elements (pages without scripts hold no sites and are not parsed).
    ".html": "javascript",
    ".htm": "javascript",
}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute
    relative: str  # to the project root, "/" separators
    language: str


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[SourceFile, ...]
    errors: tuple[ScanError, ...]  # unreadable folders, explicit files of an unsupported type


class BadPath(Exception):
    """A path named on the command line cannot be scanned as asked (a usage error, exit 2)."""


class PathNotFound(BadPath):
    """A path named on the command line does not exist."""


class PathIgnored(BadPath):
    """A folder named on the command line holds source files, but .gitignore files ignore all of them."""


def language_of(path: Path) -> str | None:
    return _language_of_name(path.name)


def _language_of_name(name: str) -> str | None:
    if name.endswith(".d.ts") or name.endswith(".min.js"):
        return None
    return LANGUAGES.get(os.path.splitext(name)[1].lower())


def relative_to_root(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # outside the project root: keep it recognisable rather than absolute
        return Path(os.path.relpath(path, root)).as_posix()


def discover(paths: Sequence[Path], config: Config) -> Discovery:
    """Every source file under `paths` that the configuration selects, sorted, without duplicates."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise PathNotFound(f"no such file or directory: {', '.join(missing)}")
    found: dict[str, SourceFile] = {}
    errors: list[ScanError] = []
    ignored: list[str] = []
    for path in paths:
        absolute = path.resolve() if path.is_symlink() else path.absolute()
        if absolute.is_dir():
            walker = _Walker(config, errors)
            walked = list(walker.walk(absolute))
            if not walked and walker.gitignored:
                ignored.append(str(path))
            for source in walked:
                found.setdefault(source.relative, source)
        else:
            source = _explicit_file(absolute, config, errors)
            if source is not None:
                found.setdefault(source.relative, source)
    if ignored:
        raise PathIgnored(
            f"{', '.join(ignored)}: every source file there is ignored by a .gitignore file; "
            "pass --no-respect-gitignore to scan ignored files"
        )
    return Discovery(files=tuple(sorted(found.values(), key=lambda s: s.relative)), errors=tuple(errors))


def _explicit_file(path: Path, config: Config, errors: list[ScanError]) -> SourceFile | None:
    relative = relative_to_root(path, config.root)
    language = language_of(path)
    if language is None:
        message = "not a Python, TypeScript, JavaScript, Vue or Svelte source file"
        errors.append(ScanError(path=relative, message=message))
        return None
    if config.force_exclude and (_excluded(relative, config) or _gitignored_explicit(path, config)):
        return None
    return SourceFile(path=path, relative=relative, language=language)


def _excluded(relative: str, config: Config, is_dir: bool = False) -> bool:
    candidate = relative + "/" if is_dir else relative
    if config.exclude_spec.match_file(candidate):
        return True
    if not is_dir and config.include_spec is not None:
        return not config.include_spec.match_file(relative)
    return False


def _gitignored_explicit(path: Path, config: Config) -> bool:
    """Whether .gitignore files between the root and an explicitly named file ignore it."""
    if not config.respect_gitignore:
        return False
    folder = path.parent
    chain = [folder, *folder.parents]
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for directory in reversed(chain):
        if not directory.is_relative_to(config.root):
            continue
        spec = _read_gitignore(directory)
        if spec is not None:
            ignores.append((directory, spec))
    return _ignored_by(ignores, path, is_dir=False)


def _read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored_by(ignores: Sequence[tuple[Path, pathspec.GitIgnoreSpec]], path: Path, is_dir: bool) -> bool:
    """Git's rule: the deepest .gitignore with a matching pattern decides (negations included)."""
    return _ignored(((str(directory), spec) for directory, spec in ignores), str(path), is_dir)


def _ignored(ignores: Iterable[tuple[str, pathspec.GitIgnoreSpec]], path: str, is_dir: bool) -> bool:
    verdict = False
    for directory, spec in ignores:
        if not path.startswith(directory + os.sep):
            continue
        relative = path[len(directory) + 1 :].replace(os.sep, "/") + ("/" if is_dir else "")
        result = spec.check_file(relative)
        if result.include is not None:
            verdict = result.include
    return verdict


class _Walker:
    """Walks folders with strings, not Path objects: on a large tree pathlib costs more than the matching."""

    def __init__(self, config: Config, errors: list[ScanError]) -> None:
        self.config = config
        self.errors = errors
        self.visited: set[tuple[int, int]] = set()
        self.root = str(config.root)
        self.gitignored = 0  # folders and source files left out because a .gitignore names them

    def walk(self, top: Path) -> Iterator[SourceFile]:
        ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        if self.config.respect_gitignore:
            # .gitignore files above the starting folder (up to the root) apply too.
            for directory in reversed([top, *top.parents]):
                if directory != top and directory.is_relative_to(self.config.root):
                    spec = _read_gitignore(directory)
                    if spec is not None:
                        ignores.append((str(directory), spec))
        yield from self._walk_dir(str(top), ignores)

    def _walk_dir(self, directory: str, ignores: list[tuple[str, pathspec.GitIgnoreSpec]]) -> Iterator[SourceFile]:
        try:
            stat = os.stat(directory)
        except OSError as error:
            self.errors.append(ScanError(path=self._relative(directory), message=f"cannot read folder: {error}"))
            return
        key = (stat.st_dev, stat.st_ino)
        if key in self.visited:  # a symlink loop, or a folder reached twice
            return
        self.visited.add(key)
        if os.path.isfile(os.path.join(directory, "pyvenv.cfg")):  # a virtualenv, whatever its name
            return
        if self.config.respect_gitignore:
            spec = _read_gitignore(Path(directory))
            if spec is not None:
                ignores = [*ignores, (directory, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            self.errors.append(ScanError(path=self._relative(directory), message=f"cannot read folder: {error}"))
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks; loops are caught by `visited`
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if entry.name == ".git":
                    continue
                relative = self._relative(entry.path)
                if _excluded(relative, self.config, is_dir=True):
                    continue
                if ignores and _ignored(ignores, entry.path, True):
                    self.gitignored += 1
                    continue
                yield from self._walk_dir(entry.path, ignores)
            elif is_file:
                language = _language_of_name(entry.name)
                if language is None:
                    continue
                relative = self._relative(entry.path)
                if _excluded(relative, self.config):
                    continue
                if ignores and _ignored(ignores, entry.path, False):
                    self.gitignored += 1
                    continue
                yield SourceFile(path=Path(entry.path), relative=relative, language=language)

    def _relative(self, path: str) -> str:
        if path.startswith(self.root + os.sep):
            return path[len(self.root) + 1 :].replace(os.sep, "/")
        return relative_to_root(Path(path), self.config.root)
