"""`polldetox migrate <table>`: rewrite the polling of one table onto the event-driven stack, as a diff."""
