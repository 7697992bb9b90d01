"""polldetox: find polling, gate CI on it, and scaffold the event-driven replacement."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("polldetox")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
