"""How a Python file's bytes become text: its PEP 263 coding line, else UTF-8."""

from __future__ import annotations

import io
import tokenize


def python_encoding(data: bytes) -> str:
    """A PEP 263 `# -*- coding: latin-1 -*-` line in the first two lines decides; else UTF-8."""
    if b"coding" not in data[:400]:
        return "utf-8-sig"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown encoding name: read it as UTF-8 and say where that fails
        return "utf-8-sig"
    return encoding
