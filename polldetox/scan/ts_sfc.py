"""Script blocks of `.vue` and `.svelte` components and of `.html` pages, found with an HTML parser.

Python's html.parser finds each `<script>` element (Vue's `<script>` and `<script setup>`,
Svelte's instance and `context="module"` scripts) and where its content starts and ends. The
detector then parses a copy of the file in which everything outside the script blocks is
blanked to spaces, newlines kept: every line and column in that copy is the line and column in
the component, so findings point into the file as written without mapping offsets back. The
blocks of one component share a scope (Svelte's module script defines what the instance script
uses), so they are parsed together; so are an HTML page's inline scripts, which share the page's
global scope. Scripts of a type that is not JavaScript (`application/json`, `text/template`) and
external ones (`src=`, no content) hold nothing to parse.

Server-rendered pages and scripts carry template syntax (`{{ queue.name|tojson }}`, `{% if %}`) that
is not JavaScript. `without_template_syntax` blanks those spans, same length, so that a script that
fails to parse only because of them parses with every position where it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

SFC_SUFFIXES = (".vue", ".svelte")
PAGE_SUFFIXES = (".html", ".htm")
_TYPESCRIPT_LANGS = frozenset({"ts", "typescript", "tsx"})
_SCRIPT_TYPES = frozenset(
    {"", "module", "text/javascript", "application/javascript", "text/ecmascript", "text/typescript",
     "application/typescript", "text/babel", "text/jsx"}
)  # fmt: skip
# `{{ expression }}` becomes an unknown name, so `let page = {{ page|tojson }};` stays an expression whose
# value is not known (a number would invent one); `{% tag %}`
# and `{# comment #}` become spaces. Spans stay on one line, as template engines write them in scripts.
_TEMPLATE_EXPRESSION = re.compile(r"\{\{[^\n]*?\}\}")
_TEMPLATE_TAG = re.compile(r"\{%[^\n]*?%\}|\{#[^\n]*?#\}")
# `= {% if a %}true{% else %}false{% endif %};` on one line: only the first branch is kept, so the
# blanked line holds one value, not two.
_OTHER_BRANCHES = re.compile(r"\{%-?\s*(?:else|elif)\b[^\n]*?\{%-?\s*endif\s*-?%\}")


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
            if (attributes.get("type") or "").lower().strip() not in _SCRIPT_TYPES:
                return
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
    """The script blocks of a Vue or Svelte component or of an HTML page."""
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


def without_template_syntax(source: str) -> str:
    """The source with server template spans blanked, same length: `{{ x }}` -> `_______`."""
    source = _OTHER_BRANCHES.sub(lambda m: " " * len(m.group()), source)
    source = _TEMPLATE_EXPRESSION.sub(lambda m: "_" * len(m.group()), source)
    return _TEMPLATE_TAG.sub(lambda m: " " * len(m.group()), source)


def has_template_syntax(source: str) -> bool:
    return bool(_TEMPLATE_EXPRESSION.search(source) or _TEMPLATE_TAG.search(source))
