"""What a reader sees, built from figures already read for them (suppression applied), and
the board's rules: pages and board packs render the same report objects (the overview, an
indicator's trend, the pack, a deep dive), and charts and tables are pure functions of
them; no page computes a statistic.
"""
