"""polldetox: find polling, gate CI on it, and scaffold the event-driven replacement."""

# Read by the build (hatch's version source) and by the cache; importlib.metadata costs a tenth of a
# second at every start.
__version__ = "0.1.0"
