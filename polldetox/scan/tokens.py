"""The byte prefilter: whether a text holds any of a detector's trigger tokens.

RE2 matches an alternation of literals in one pass over the text. Looking for each token in turn
read every file that holds none of them once per token: about 0.7 s of a 10 s cold scan of a
45 MB tree, against 0.1 s in one pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import re2


@functools.cache
def token_search(tokens: tuple[bytes, ...]) -> Callable[[bytes], object | None]:
    """A search for the first of `tokens` in a byte string (None when it holds none), compiled once."""
    return re2.compile(b"|".join(re2.escape(token) for token in tokens)).search
