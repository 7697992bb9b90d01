"""A Python file as CPython's `ast` sees it, and its source read back: snippets, spans, comments.

`ast` counts columns in UTF-8 bytes; findings count characters, so offsets are converted here
and nowhere else. `ast` drops comments: they are read with `tokenize`, and only from files that
mention a word a comment could matter for.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterator

from polldetox.findings import Location, Suppression
from polldetox.scan import ParseFailure
from polldetox.scan.python.syntax import normalise
from polldetox.suppressions import parse_suppression

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line for `ast` (str.splitlines knows more)


_PARSE_DEPTH = 50_000
# PEP 695 (Python 3.12): `type Rows = list[T]`, `def first[T](items)`, `class Box[T]:`.
_TYPE_ALIAS = re.compile(r"^([ \t]*)type[ \t]+(?=\w+[ \t]*(\[[^\]\n]*\])?[ \t]*=)", re.MULTILINE)
_TYPE_PARAMETERS = re.compile(
    r"^([ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+)(\[[^\]\n]*\])(?=[ \t]*[(:])", re.MULTILINE
)


def parse(source: str) -> ast.Module:
    # Building the tree's Python objects recurses once per level: a generated `a + b + ... + z`
    # of a few thousand terms is deeper than the default limit, yet plain code worth scanning.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _PARSE_DEPTH))
    try:
        return _parse(source)
    finally:
        sys.setrecursionlimit(limit)


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        if sys.version_info < (3, 12):
            # An older parser than the code: type parameters hold no polling, so blank them out
            # (same length: positions stay where they were) and make aliases plain assignments.
            blanked = _TYPE_PARAMETERS.sub(_blank_type_parameters, _TYPE_ALIAS.sub(r"\1", source))
            if blanked != source:
                try:
                    return ast.parse(blanked)
                except SyntaxError:
                    pass
        raise ParseFailure(f"Python syntax error: {error.msg}", error.lineno) from error
    except ValueError as error:  # a null byte in the source
        raise ParseFailure(f"Python syntax error: {error}", None) from error
    except (RecursionError, MemoryError) as error:  # pathologically nested expressions
        raise ParseFailure("Python syntax error: nesting too deep", None) from error


def _blank_type_parameters(match: re.Match[str]) -> str:
    return match.group(1) + " " * len(match.group(2))


class Source:
    """The text of one file, for the few nodes that become sites or routes."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self._starts: list[int] | None = None  # character offset of each line's start

    def _offset(self, line: int, utf8_column: int) -> int:
        if self._starts is None:
            self._starts = [0, *(match.end() for match in _LINE_BREAK.finditer(self.text))]
        start = self._starts[line - 1] if line <= len(self._starts) else len(self.text)
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        text = self.text[start:end]
        if text.isascii():
            return start + utf8_column
        return start + len(text.encode("utf-8")[:utf8_column].decode("utf-8", errors="ignore"))

    def _bounds(self, first: ast.AST, last: ast.AST | None = None) -> tuple[int, int]:
        last = last or first
        start = self._offset(first.lineno, first.col_offset)  # type: ignore[attr-defined]
        end = self._offset(last.end_lineno or last.lineno, last.end_col_offset or 0)  # type: ignore[attr-defined]
        return start, end

    def code(self, first: ast.AST, last: ast.AST | None = None) -> str:
        """The source of a node (or of a run of nodes from `first` to `last`) on one normalised line."""
        start, end = self._bounds(first, last)
        return normalise(self.text[start:end])

    def parenthesized_code(self, node: ast.AST) -> str:
        """A node's source with the parentheses written around it: `while (a and b):` -> `(a and b)`."""
        start, end = self._bounds(node)
        before = len(self.text[:start]) - len(self.text[:start].rstrip("( \t\\\r\n"))
        opened = self.text[start - before : start].count("(") if before else 0
        while opened:
            close = end
            while close < len(self.text) and self.text[close] in " \t\\\r\n":
                close += 1
            if close >= len(self.text) or self.text[close] != ")":
                break
            end, opened = close + 1, opened - 1
            start = self.text.rindex("(", 0, start)
        return normalise(self.text[start:end])

    def location(self, first: ast.AST, last: ast.AST | None = None) -> Location:
        last = last or first
        start_line, end_line = first.lineno, last.end_lineno or last.lineno  # type: ignore[attr-defined]
        start, end = self._bounds(first, last)
        assert self._starts is not None
        return Location(
            self.path,
            start_line,
            start - self._starts[start_line - 1] + 1,
            end_line,
            end - self._starts[end_line - 1] + 1,
        )

    def header_comments(self) -> list[str]:
        """The comment lines the file opens with, before its first statement."""
        found: list[str] = []
        for line in _LINE_BREAK.split(self.text):
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                break
            if stripped:
                found.append(stripped.lstrip("#").strip())
        return found


def comments(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment, from Python's own tokenizer."""
    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # `ast` accepted the file; keep the comments read before the tokenizer gave up
    return found


def suppressions(found: list[tuple[int, str]]) -> Iterator[Suppression]:
    for line, text in found:
        suppression = parse_suppression(text, line)
        if suppression is not None:
            yield suppression


def comment_blocks(found: list[tuple[int, str]]) -> list[str]:
    """Consecutive comment lines joined into one text each."""
    blocks: list[list[str]] = []
    previous = -2
    for line, text in found:
        if line != previous + 1:
            blocks.append([])
        blocks[-1].append(text.lstrip("#").strip())
        previous = line
    return [" ".join(block) for block in blocks]
