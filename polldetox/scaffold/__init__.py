"""`polldetox scaffold <table>`: render the event-driven replacement for polling a data type."""
