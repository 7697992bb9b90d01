"""Finding polling: file discovery, the detectors, the policy and the engine that runs them."""


class ParseFailure(Exception):
    """A detector could not parse a file; the engine records it in `errors[]` and carries on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
