"""Every write, one module per area; each function persists records the services have
already decided, inside the caller's :class:`~metrics.store.connection.Tx` or a transaction
of its own, with its audit entry."""
