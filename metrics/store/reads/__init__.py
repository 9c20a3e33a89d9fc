"""Every SQL read, one module per area: functions that take a store (or a store as it stood
at a meeting's cut-off) and return Polars frames or plain values; none writes."""
