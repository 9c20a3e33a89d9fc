"""What a reader sees, built from figures already read for them (suppression applied).

Pages and (later) board packs render these objects; no page computes a statistic.
"""
