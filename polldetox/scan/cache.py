"""The facts cache: what each file gave the last time, keyed by file metadata, as ruff's cache is.

An unchanged file (same size, modification and change time, inode) is neither read nor hashed:
its line count and facts come from the cache. A file whose metadata changed is read again and
hashed, and parsed again only if its content changed. A file written less than a second before it
was cached may change again within the same timestamp tick, so its entry is confirmed by content
(git calls such entries "racily clean"). It also keeps the folder listings of the last walk
(scan/files.py), so an unchanged tree is not listed again either.

The cache lives in the user's cache folder (POLLDETOX_CACHE_DIR or XDG_CACHE_HOME), never in the
repository, so a checked-out tree can never plant a pickle for the scanner to load. Its file name
carries a fingerprint of the detector code, so facts from other code are never used.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from polldetox import __version__
from polldetox.findings import FileFacts, ReadSummary, ScanError
from polldetox.scan.files import RACY_NANOSECONDS, FolderListings, Listing, StatKey, stat_key


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Entry(NamedTuple):
    """What the cache knows of one file. Stored as a plain tuple in this field order: unpickling a
    named tuple runs Python code for each of the thousands of entries, a plain one does not."""

    stat: StatKey
    digest: str | None  # of the content; None for a file without trigger tokens, never parsed
    lines: int
    outcome: FileFacts | ScanError | None  # None: no trigger token, nothing to parse
    racy: bool  # written too shortly before it was cached for its metadata to vouch for it

    @classmethod
    def of(
        cls, stat: StatKey, read_at: int, digest: str | None, lines: int, outcome: FileFacts | ScanError | None
    ) -> Entry:
        """`read_at`: time.time_ns() just before the file was read."""
        return cls(stat, digest, lines, outcome, racy=read_at - stat[1] < RACY_NANOSECONDS)


_STAT, _DIGEST, _LINES, _OUTCOME, _RACY = range(5)  # Entry's fields, for the stored plain tuples
Known = tuple[int, FileFacts | ScanError | None]  # (lines, outcome) of a file the cache vouches for


@dataclass(frozen=True, slots=True)
class Exports:
    """What a module offers the files that import it: numeric constants, names it re-exports, reads."""

    stat: StatKey
    racy: bool
    constants: dict[str, float]
    reexports: dict[str, tuple[str, str]]  # name -> (module, name there)
    reads: dict[str, ReadSummary]  # function or model name -> what it reads (exported, for TypeScript)

    @classmethod
    def of(
        cls,
        stat: StatKey,
        read_at: int,
        constants: dict[str, float],
        reexports: dict[str, tuple[str, str]],
        reads: dict[str, ReadSummary],
    ) -> Exports:
        return cls(stat, read_at - stat[1] < RACY_NANOSECONDS, constants, reexports, reads)


@dataclass(slots=True)
class _Contents:
    files: dict[str, tuple]  # Entry's fields, as plain tuples
    exports: dict[str, Exports]  # modules other files import constants from
    selection: tuple[object, ...] = ()  # the settings the folder listings were made under
    folders: dict[str, Listing] = field(default_factory=dict)  # by absolute folder path


class FactsCache:
    def __init__(self, path: Path, contents: _Contents) -> None:
        self.path = path
        self.previous = contents
        self.current = _Contents(files={}, exports={})

    @classmethod
    def load(cls, root: Path) -> FactsCache:
        base = Path(
            os.environ.get("POLLDETOX_CACHE_DIR")
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "polldetox"
        )
        project = hashlib.blake2b(str(root).encode(), digest_size=8).hexdigest()
        path = base / project / f"facts-{code_fingerprint()}.pickle"
        # Tens of thousands of objects are created and none is garbage: collecting while they are made
        # would only walk them again and again.
        gc.disable()
        try:
            with path.open("rb") as handle:
                contents = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            contents = None
        finally:
            gc.enable()
        return cls(path, contents if isinstance(contents, _Contents) else _Contents(files={}, exports={}))

    def folder_listings(self, selection: tuple[object, ...]) -> FolderListings:
        """The previous walk's folder listings, if it selected files by the same settings; the walk adds
        its own listings to what this returns, and `save` keeps them."""
        previous = self.previous.folders if self.previous.selection == selection else {}
        self.current.selection = selection
        return FolderListings(previous=previous, current=self.current.folders)

    def unchanged(self, relative: str, stat: StatKey) -> Known | None:
        """The lines and facts of a file whose metadata proves it unchanged, without reading it."""
        entry = self.previous.files.get(relative)
        if entry is None or entry[_RACY] or entry[_STAT] != stat:
            return None
        self.current.files[relative] = entry
        return entry[_LINES], entry[_OUTCOME]

    def digest(self, relative: str) -> str | None:
        """The digest of the content the cache has facts for, to recognise a file only touched."""
        entry = self.previous.files.get(relative)
        return entry[_DIGEST] if entry is not None else None

    def same_content(self, relative: str, digest: str) -> Known | None:
        """The lines and facts of a file read again whose content is what was cached."""
        entry = self.previous.files.get(relative)
        if entry is None or entry[_DIGEST] != digest:
            return None
        return entry[_LINES], entry[_OUTCOME]

    def put(self, relative: str, entry: Entry) -> None:
        self.current.files[relative] = tuple(entry)

    def exports(self, relative: str, stat: StatKey) -> Exports | None:
        exports = self.current.exports.get(relative) or self.previous.exports.get(relative)
        if exports is None or exports.racy or exports.stat != stat:
            return None
        self.current.exports[relative] = exports
        return exports

    def put_exports(self, relative: str, exports: Exports) -> None:
        self.current.exports[relative] = exports

    def save(self) -> None:
        if self.current == self.previous:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, delete=False) as handle:
                pickle.dump(self.current, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.path)
        except OSError:
            pass  # a read-only home must not fail the scan; the next run just parses again


def code_fingerprint() -> str:
    """Changes whenever the detectors or the facts they produce change, so stale facts are never used.

    Taken from the modules' metadata, as files are: a warm scan reads none of its own sources either.
    """
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    package = Path(__file__).resolve().parent.parent
    modules = [*package.glob("scan/**/*.py"), package / "findings.py", package / "suppressions.py"]
    for module in sorted(modules):
        digest.update(f"{module.relative_to(package)}:{stat_key(module.stat())}".encode())
    return digest.hexdigest()
