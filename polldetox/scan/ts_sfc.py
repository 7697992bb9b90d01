"""Single-file components: the script blocks of `.vue` and `.svelte` files, found with an HTML parser.

Python's html.parser finds each `<script>` element (Vue's `<script>` and `<script setup>`,
Svelte's instance and `context="module"` scripts) and where its content starts and ends. The
detector then parses a copy of the file in which everything outside the script blocks is
blanked to spaces, newlines kept: every line and column in that copy is the line and column in
the component, so findings point into the file as written without mapping offsets back. The
blocks of one component share a scope (Svelte's module script defines what the instance script
uses), so they are parsed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

SFC_SUFFIXES = (".vue", ".svelte")
_TYPESCRIPT_LANGS = frozenset({"ts", "typescript", "tsx"})


@dataclass(frozen=True, slots=True)
class ScriptBlock:
    start: int  # character offset of the first character of the script's content
    end: int  # character offset of its closing `</script>`
    typescript: bool


@dataclass(frozen=True, slots=True)
class Scripts:
    """The component's script content in place, everything else blanked, and its language."""

    source: str
    typescript: bool
    blocks: tuple[ScriptBlock, ...]


class _ScriptFinder(HTMLParser):
    def __init__(self, line_starts: list[int]) -> None:
        super().__init__(convert_charrefs=False)
        self.line_starts = line_starts
        self.blocks: list[ScriptBlock] = []
        self._open: tuple[int, bool] | None = None
        self._depth = 0  # script elements only count at the top level, not inside a <template>

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            attributes = dict(attrs)
            typescript = (attributes.get("lang") or "").lower() in _TYPESCRIPT_LANGS
            typescript |= (attributes.get("type") or "").lower() in ("text/typescript", "application/typescript")
            tag_text = self.get_starttag_text() or ""
            self._open = (self._offset() + len(tag_text), typescript)
        elif tag == "template":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            start, typescript = self._open
            self._open = None
            if self._depth == 0:
                self.blocks.append(ScriptBlock(start=start, end=self._offset(), typescript=typescript))
        elif tag == "template" and self._depth:
            self._depth -= 1


def script_blocks(source: str) -> Scripts:
    """The script blocks of a Vue or Svelte component."""
    line_starts = [0]
    for index, character in enumerate(source):
        if character == "\n":
            line_starts.append(index + 1)
    finder = _ScriptFinder(line_starts)
    finder.feed(source)
    finder.close()
    blocks = tuple(finder.blocks)
    starts = (0, *(block.end for block in blocks))[: len(blocks)]
    kept = [_blank(source[previous : block.start]) + source[block.start : block.end]
            for previous, block in zip(starts, blocks, strict=True)]  # fmt: skip
    tail = _blank(source[blocks[-1].end if blocks else 0 :])
    return Scripts(source="".join(kept) + tail, typescript=any(b.typescript for b in blocks), blocks=blocks)


def _blank(markup: str) -> str:
    """Markup replaced by spaces, one per character, newlines kept."""
    return "".join(c if c == "\n" else " " for c in markup)
