"""The vocabulary of the domain, with no I/O: what an actor may do, the catalogue, periods,
settings, findings, formatting, statistics, disclosure, identifiers and the one clock."""
