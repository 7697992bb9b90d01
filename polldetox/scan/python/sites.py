"""A polling site from what the other parts found: where it is, what it reads, its surroundings."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from polldetox.findings import PollingSite, SiteKind
from polldetox.scan.python.context import Surroundings
from polldetox.scan.python.index import FunctionInfo, Index, Where
from polldetox.scan.python.parse import Source
from polldetox.scan.python.reads import Facts, Reads
from polldetox.scan.python.values import Number, Values

LANGUAGE = "python"


@dataclass(frozen=True)
class Analysis:
    """Everything known about one module, shared by the loop, scheduler and route readers."""

    module: ast.Module
    source: Source
    index: Index
    values: Values
    reads: Reads
    surroundings: Surroundings

    @classmethod
    def of(cls, module: ast.Module, text: str, path: str) -> Analysis:
        index = Index()
        index.walk(module)
        source = Source(text, path)
        values = Values(index, path)
        reads = Reads(index, values, source)
        return cls(module, source, index, values, reads, Surroundings(module, index, values, source))

    def site(
        self,
        *,
        kind: SiteKind,
        mechanism: str,
        node: ast.AST,
        snippet: str,
        where: Where,
        function: FunctionInfo | None,
        body: ast.AST | None,
        interval: Number,
        detail: str | None = None,
        loop_test: ast.expr | None = None,
        last: ast.AST | None = None,
        through: tuple[tuple[str, str], ...] = (),
    ) -> PollingSite:
        """`node` (to `last`, when the site spans several nodes) is where the site is written; `through`
        names the job in another module of the project when it is not defined here."""
        # A job defined in another file: what it reads is resolved across files, through `through`.
        facts = self.reads.facts(body, function) if body is not None else Facts(opaque_calls=True)
        if body is None:
            facts.project_calls.extend(through)
        surroundings = self.surroundings
        owner = function or where.function  # a scheduled job is named after itself, not its registration
        return PollingSite(
            kind=kind,
            mechanism=mechanism,
            language=LANGUAGE,
            location=self.source.location(node, last),
            snippet=snippet,
            function=owner.qualname if owner else None,
            context=surroundings.context(where),
            interval_seconds=interval.value,
            interval_ref=interval.ref if interval.value is None else None,
            polls=facts.polls,
            tables=tuple(sorted(facts.tables)),
            urls=tuple(facts.urls),
            broadcasts=facts.broadcasts,
            compares_state=facts.compares_state,
            message_types=tuple(facts.message_types),
            opt_in_flag=surroundings.opt_in_flag(where, (loop_test,) if loop_test is not None else ()),
            interval_env_var=interval.env_var,
            logs_activity=facts.logs_activity,
            logs_warning=surroundings.logs_warning(node, where),
            fallback_only=surroundings.fallback_only(where, loop_test),
            max_duration_seconds=surroundings.max_duration(last or node, where),
            restores_connection=facts.restores_connection,
            detail=detail,
            reads_through=tuple(facts.project_calls),
            models=tuple(facts.models),
        )
