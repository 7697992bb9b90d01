"""Which files a scan reads: discovery under the given paths, .gitignore, include/exclude, language.

Directories are walked with os.scandir; symlinked folders are followed once (a loop is detected
by device and inode and not entered again). Files named on the command line are scanned even
when a pattern excludes them, unless `force_exclude` is set (what pre-commit needs).

A walk can reuse the folder listings of the previous one: a folder whose modification time is
unchanged holds the same entries (creating, deleting or renaming an entry changes it), so while
the .gitignore files in effect there are unchanged too (by their metadata) its selected files and
sub-folders are taken as they were, without listing it or matching a pattern again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

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


# A file or folder written less than this long before it was read may change again within the same
# timestamp tick, so its metadata cannot vouch for it next time (git calls such entries "racily clean").
RACY_NANOSECONDS = 1_000_000_000

StatKey = tuple[int, int, int, int]  # of a file: size, mtime_ns, ctime_ns, inode
FolderStat = tuple[int, int, int, int]  # of a folder: mtime_ns, ctime_ns, inode, device


def stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class SourceFile(NamedTuple):
    """A tuple, not a dataclass: a walk makes one per file of the tree, at every scan."""

    filename: str  # absolute
    relative: str  # to the project root, "/" separators
    language: str

    @property
    def path(self) -> Path:
        return Path(self.filename)


class Listing(NamedTuple):
    """What walking one folder selected. A tuple, so that thousands of them load fast from the cache."""

    stat: FolderStat
    ignores: tuple[tuple[str, StatKey], ...]  # every .gitignore in effect there: (its folder, its stat)
    folders: tuple[str, ...]  # names of the sub-folders to walk
    files: tuple[tuple[str, str], ...]  # (name, language) of the selected source files
    gitignored: int  # entries left out because a .gitignore names them


@dataclass(slots=True)
class FolderListings:
    """The previous walk's folder listings (by absolute folder path), and those this walk made or confirmed."""

    previous: Mapping[str, Listing]
    current: dict[str, Listing] = field(default_factory=dict)


def selection(config: Config) -> tuple[object, ...]:
    """Every setting that decides which files a walk selects: listings made under others are not reused."""
    return (str(config.root), config.include, config.exclude, config.extend_exclude, config.respect_gitignore)


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


def discover(paths: Sequence[Path], config: Config, listings: FolderListings | None = None) -> Discovery:
    """Every source file under `paths` that the configuration selects, sorted, without duplicates.

    `listings`: the previous walk's folder listings to reuse; this walk's are added to it.
    """
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise PathNotFound(f"no such file or directory: {', '.join(missing)}")
    found: dict[str, SourceFile] = {}
    errors: list[ScanError] = []
    ignored: list[str] = []
    for path in paths:
        absolute = path.resolve() if path.is_symlink() else path.absolute()
        if absolute.is_dir():
            walker = _Walker(config, errors, listings or FolderListings(previous={}))
            walked = walker.walk(absolute)
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
    return SourceFile(filename=str(path), relative=relative, language=language)


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


class _Ignore:
    """A .gitignore file in effect during a walk; its patterns are read only if a folder is listed again."""

    __slots__ = ("_spec", "directory", "racy", "stat")

    def __init__(self, directory: str, stat: os.stat_result, listed_at: int) -> None:
        self.directory = directory
        self.stat = stat_key(stat)
        self.racy = listed_at - stat.st_mtime_ns < RACY_NANOSECONDS
        self._spec: pathspec.GitIgnoreSpec | None = None

    @classmethod
    def at(cls, directory: str, listed_at: int) -> _Ignore | None:
        try:
            stat = os.stat(os.path.join(directory, ".gitignore"))
        except OSError:
            return None
        return cls(directory, stat, listed_at)

    @property
    def spec(self) -> pathspec.GitIgnoreSpec:
        if self._spec is None:
            self._spec = _read_gitignore(Path(self.directory)) or pathspec.GitIgnoreSpec.from_lines([])
        return self._spec


Ignores = tuple[_Ignore, ...]  # outermost first


class _Walker:
    """Walks folders with strings, not Path objects: on a large tree pathlib costs more than the matching."""

    def __init__(self, config: Config, errors: list[ScanError], listings: FolderListings) -> None:
        self.config = config
        self.errors = errors
        self.listings = listings
        self.visited: set[tuple[int, int]] = set()
        self.root = str(config.root)
        self.gitignored = 0  # folders and source files left out because a .gitignore names them
        self.started = time.time_ns()

    def walk(self, top: Path) -> list[SourceFile]:
        ignores: Ignores = ()
        if self.config.respect_gitignore:
            # .gitignore files above the starting folder (up to the root) apply too.
            for directory in reversed(top.parents):
                if directory.is_relative_to(self.config.root):
                    ignore = _Ignore.at(str(directory), self.started)
                    if ignore is not None:
                        ignores = (*ignores, ignore)
        found: list[SourceFile] = []
        self._walk_dir(str(top), ignores, found)
        return found

    def _walk_dir(self, directory: str, ignores: Ignores, found: list[SourceFile]) -> None:
        """Adds the selected files under `directory` to `found`. One list, not nested generators: a file
        found ten folders deep would otherwise pass through ten generator frames on its way out."""
        try:
            stat = os.stat(directory)
        except OSError as error:
            self.errors.append(ScanError(path=self._relative(directory), message=f"cannot read folder: {error}"))
            return
        key = (stat.st_dev, stat.st_ino)
        if key in self.visited:  # a symlink loop, or a folder reached twice
            return
        self.visited.add(key)
        folder_stat: FolderStat = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
        selected = self._reused(directory, folder_stat, ignores) or self._list(directory, folder_stat, ignores)
        if selected is None:
            return
        listing, ignores = selected
        self.gitignored += listing.gitignored
        prefix = directory + os.sep
        relative_prefix = self._relative(directory) + "/" if directory != self.root else ""
        for name in listing.folders:
            self._walk_dir(prefix + name, ignores, found)
        found.extend(SourceFile(prefix + name, relative_prefix + name, language) for name, language in listing.files)

    def _reused(self, directory: str, folder_stat: FolderStat, ignores: Ignores) -> tuple[Listing, Ignores] | None:
        """The previous listing of a folder, when neither it nor a .gitignore in effect there changed,
        with the .gitignore files in effect below it."""
        previous = self.listings.previous.get(directory)
        if previous is None or previous.stat != folder_stat:
            return None
        if len(previous.ignores) == len(ignores) + 1:  # it had a .gitignore of its own: still the same?
            own = _Ignore.at(directory, self.started)
            if own is None or own.racy:
                return None
            ignores = (*ignores, own)
        if tuple((ignore.directory, ignore.stat) for ignore in ignores) != previous.ignores:
            return None
        self.listings.current[directory] = previous
        return previous, ignores

    def _list(self, directory: str, folder_stat: FolderStat, ignores: Ignores) -> tuple[Listing, Ignores] | None:
        """List a folder and select its entries; the listing is kept for the next walk unless racy."""
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            self.errors.append(ScanError(path=self._relative(directory), message=f"cannot read folder: {error}"))
            return None
        names = {entry.name for entry in entries}
        if "pyvenv.cfg" in names and os.path.isfile(os.path.join(directory, "pyvenv.cfg")):
            entries = []  # a virtualenv, whatever its name
        elif self.config.respect_gitignore and ".gitignore" in names:
            own = _Ignore.at(directory, self.started)
            if own is not None:
                ignores = (*ignores, own)
        folders: list[str] = []
        files: list[tuple[str, str]] = []
        gitignored = 0
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
                if ignores and _ignored(((i.directory, i.spec) for i in ignores), entry.path, True):
                    gitignored += 1
                    continue
                folders.append(entry.name)
            elif is_file:
                language = _language_of_name(entry.name)
                if language is None:
                    continue
                relative = self._relative(entry.path)
                if _excluded(relative, self.config):
                    continue
                if ignores and _ignored(((i.directory, i.spec) for i in ignores), entry.path, False):
                    gitignored += 1
                    continue
                files.append((entry.name, language))
        in_effect = tuple((ignore.directory, ignore.stat) for ignore in ignores)
        listing = Listing(folder_stat, in_effect, tuple(folders), tuple(files), gitignored)
        racy = self.started - folder_stat[0] < RACY_NANOSECONDS or any(ignore.racy for ignore in ignores)
        if not racy:
            self.listings.current[directory] = listing
        return listing, ignores

    def _relative(self, path: str) -> str:
        if path.startswith(self.root + os.sep):
            return path[len(self.root) + 1 :].replace(os.sep, "/")
        return relative_to_root(Path(path), self.config.root)
