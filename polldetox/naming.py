"""One table name -> every name the generated code uses.

`planned_features` gives `planned-features` (URLs, query keys), `PlannedFeature` (the row type),
`plannedFeatures` (TypeScript members), `planned_features_changed` (the NOTIFY channel).
The argument follows PostgreSQL's rules: `schema.table`, double-quoted parts keep their case and
may be reserved words (`'"Billing"."Order"'`), unquoted parts fold to lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNQUOTED_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1


class InvalidName(ValueError):
    """The table argument is not a valid (optionally schema-qualified) PostgreSQL identifier."""


@dataclass(frozen=True)
class QualifiedName:
    """A table as PostgreSQL knows it: exact identifier text after case folding."""

    name: str
    schema: str | None = None

    def sql(self) -> str:
        """The name quoted for SQL, schema-qualified when a schema was given."""
        parts = (self.schema, self.name) if self.schema else (self.name,)
        return ".".join(quote_identifier(part) for part in parts)

    def matches(self, other: QualifiedName) -> bool:
        """Same table, where an unqualified name means the default `public` schema."""
        return self.name == other.name and (self.schema or "public") == (other.schema or "public")


@dataclass(frozen=True)
class Names:
    table: QualifiedName
    snake: str  # planned_features: Python modules and functions, message type prefix
    kebab: str  # planned-features: the WebSocket path, the query key
    pascal: str  # PlannedFeature: the row type (singular), component and hook names
    camel: str  # plannedFeatures: TypeScript members
    channel: str  # planned_features_changed: the NOTIFY channel

    @property
    def placeholders(self) -> dict[str, str]:
        """What a layout path may use: {snake}, {kebab}, {pascal}, {camel}."""
        return {"snake": self.snake, "kebab": self.kebab, "pascal": self.pascal, "camel": self.camel}


def quote_identifier(identifier: str) -> str:
    """PostgreSQL's quote_ident, always quoting: safe for reserved words, mixed case and any character."""
    if "\x00" in identifier:
        raise InvalidName("an identifier cannot contain a NUL character")
    return '"' + identifier.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A standard-conforming SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def parse_table_name(argument: str) -> QualifiedName:
    """`schema.table` with PostgreSQL quoting and case folding; raises InvalidName when invalid."""
    parts = _split_qualified(argument.strip())
    if len(parts) > 2:
        raise InvalidName(f"{argument!r}: expected table or schema.table, got {len(parts)} dotted parts")
    for part in parts:
        if not part:
            raise InvalidName(f"{argument!r}: empty identifier")
        if len(part.encode()) > MAX_IDENTIFIER_BYTES:
            raise InvalidName(f"{argument!r}: {part!r} is longer than PostgreSQL's {MAX_IDENTIFIER_BYTES} bytes")
    return QualifiedName(name=parts[-1], schema=parts[0] if len(parts) == 2 else None)


def _split_qualified(text: str) -> list[str]:
    parts: list[str] = []
    position = 0
    while True:
        if text.startswith('"', position):
            end = position + 1
            chunk = []
            while True:
                close = text.find('"', end)
                if close < 0:
                    raise InvalidName(f"{text!r}: unterminated quoted identifier")
                chunk.append(text[end:close])
                if text.startswith('"', close + 1):  # "" is an escaped quote
                    chunk.append('"')
                    end = close + 2
                    continue
                break
            parts.append("".join(chunk))
            position = close + 1
        else:
            match = _UNQUOTED_PART.match(text, position)
            if match is None:
                raise InvalidName(
                    f"{text!r} is not a valid table name: use letters, digits and underscores "
                    'starting with a letter, or a double-quoted identifier such as \'"Billing"."Order"\''
                )
            parts.append(match.group().lower())
            position = match.end()
        if position == len(text):
            return parts
        if text[position] != ".":
            raise InvalidName(f"{text!r} is not a valid table name (unexpected {text[position]!r})")
        position += 1


def names_for(argument: str) -> Names:
    """Every generated name for the table `argument`; raises InvalidName when it yields no code names."""
    table = parse_table_name(argument)
    words = [word.lower() for word in _WORD.findall(table.name)]
    if not words or words[0][0].isdigit():
        raise InvalidName(f"{argument!r}: the table name must start with a letter to give Python and TypeScript names")
    singular = [*words[:-1], singularize(words[-1])]
    snake = "_".join(words)
    return Names(
        table=table,
        snake=snake,
        kebab="-".join(words),
        pascal="".join(word.capitalize() for word in singular),
        camel=words[0] + "".join(word.capitalize() for word in words[1:]),
        channel=f"{snake}_changed",
    )


_INVARIANT = {"data", "news", "series", "species", "metadata"}


def singularize(word: str) -> str:
    """English plural -> singular for table names (features -> feature, categories -> category)."""
    if word in _INVARIANT or len(word) < 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
