"""What a project's SQL migrations say about NOTIFY triggers, read with sqlglot's parser and tokenizer.

sqlglot parses CREATE TRIGGER and CREATE TABLE into trees. A plpgsql CREATE FUNCTION falls back to
an opaque command, so its tokens give the function's name and its dollar-quoted body, and the body's
own tokens show whether it sends a notification (`pg_notify('channel', ...)` or `NOTIFY channel`).
Comments are never tokens, so a commented-out trigger or NOTIFY counts for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

_DIALECT = "postgres"
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_BODY_TOKENS = frozenset({TokenType.HEREDOC_STRING, TokenType.STRING})
_DEFINED = frozenset({TokenType.TRIGGER, TokenType.FUNCTION, TokenType.TABLE})
_BEFORE_DEFINED = frozenset({TokenType.OR, TokenType.REPLACE, TokenType.CONSTRAINT})


@dataclass(frozen=True, slots=True)
class SqlFacts:
    triggers: tuple[tuple[str, str], ...]  # (table, path) of triggers whose function notifies
    created_tables: frozenset[str]
    trigger_functions: tuple[tuple[str, str], ...] = ()  # (table, function) of those triggers


def read_sql(sources: Iterable[tuple[str, str]]) -> SqlFacts:
    """Tables with a trigger whose function notifies, and tables created, from (SQL text, path) pairs.

    The trigger's function may be created by another migration than the trigger, so both are
    collected first and joined at the end.
    """
    notifying: set[str] = set()
    on_table: list[tuple[str, str, str]] = []  # (table, function, path)
    created: set[str] = set()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" is expected for plpgsql
    for text, path in sources:
        for statement in _statements(text):
            if isinstance(statement, exp.Create) and statement.kind == "TABLE":
                if (table := statement.find(exp.Table)) is not None:
                    created.add(_name(table.this))
            elif isinstance(statement, exp.Create) and statement.kind == "TRIGGER":
                if (trigger := _trigger(statement)) is not None:
                    on_table.append((*trigger, path))
            elif _creates_function(statement) and (function := _notifying_function(statement)) is not None:
                notifying.add(function)
    notifies = [(table, function, path) for table, function, path in on_table if function in notifying]
    triggers = tuple((table, path) for table, _, path in notifies)
    return SqlFacts(triggers, frozenset(created), tuple((table, function) for table, function, _ in notifies))


def defines_sql(text: str) -> bool:
    """Whether the text holds CREATE [OR REPLACE] [CONSTRAINT] TRIGGER|FUNCTION|TABLE as SQL tokens."""
    if "create" not in text.lower():
        return False
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if token.token_type != TokenType.CREATE:
            continue
        following = (t.token_type for t in tokens[index + 1 :])
        kind = next((t for t in following if t not in _BEFORE_DEFINED), None)
        if kind in _DEFINED:
            return True
    return False


def _statements(text: str) -> list[exp.Expression]:
    try:
        return [statement for statement in sqlglot.parse(text, read=_DIALECT) if statement is not None]
    except SqlglotError:  # an unreadable migration is not a crash
        return []


def _tokens(text: str) -> list[Token]:
    try:
        return sqlglot.tokenize(text, read=_DIALECT)
    except SqlglotError:
        return []


def _name(node: exp.Expression | str | None) -> str:
    """A name as PostgreSQL resolves it: unquoted names fold to lower case, quoted ones stay as written."""
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    if isinstance(node, exp.Expression):
        return _name(node.this)
    return (node or "").lower()


def _trigger(statement: exp.Create) -> tuple[str, str] | None:
    """(table, function) of CREATE TRIGGER ... ON table ... EXECUTE FUNCTION|PROCEDURE function()."""
    properties = statement.find(exp.TriggerProperties)
    if properties is None:
        return None
    table = properties.args.get("table")
    execute = properties.args.get("execute")
    function = execute.this if isinstance(execute, exp.TriggerExecute) else None
    if isinstance(function, exp.Dot):  # schema.function()
        function = function.expression
    if not isinstance(table, exp.Table) or function is None:
        return None
    return _name(table.this), _name(function)


def _creates_function(statement: exp.Expression) -> bool:
    if isinstance(statement, exp.Create):
        return statement.kind == "FUNCTION"
    return isinstance(statement, exp.Command) and str(statement.this).upper() == "CREATE"


def _notifying_function(statement: exp.Expression) -> str | None:
    """The name of the function a CREATE FUNCTION statement defines, when its body sends a notification."""
    tokens = _tokens(statement.sql(dialect=_DIALECT))
    start = next((i for i, token in enumerate(tokens) if token.token_type == TokenType.FUNCTION), None)
    if start is None:
        return None
    name_tokens = []
    for token in tokens[start + 1 :]:
        if token.token_type == TokenType.L_PAREN:
            break
        if token.token_type in _NAME_TOKENS:
            name_tokens.append(token)
    if not name_tokens:
        return None
    bodies = [token.text for token in tokens if token.token_type in _BODY_TOKENS]
    if not any(notify_channels(body) for body in bodies):
        return None
    last = name_tokens[-1]
    return last.text if last.token_type == TokenType.IDENTIFIER else last.text.lower()


def notify_channels(body: str) -> list[str]:
    """The channels a SQL or plpgsql body notifies, from its tokens: `pg_notify('channel', ...)` and
    `NOTIFY channel`. A channel built at run time is reported as an empty string."""
    tokens = _tokens(body)
    channels = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1 : index + 3]
        word = token.text.lower()
        if token.token_type == TokenType.VAR and word == "pg_notify" and following[:1]:
            if following[0].token_type == TokenType.L_PAREN:
                argument = following[1] if len(following) > 1 else None
                literal = argument is not None and argument.token_type == TokenType.STRING
                channels.append(argument.text if literal else "")
        elif word == "notify" and following and following[0].token_type in _NAME_TOKENS:
            # NOTIFY starts a statement: the first token, or one after `;`, BEGIN, THEN, ELSE or LOOP.
            previous = tokens[index - 1].text.lower() if index else ";"
            if previous in (";", "begin", "then", "else", "loop"):
                channels.append(following[0].text)
    return channels
