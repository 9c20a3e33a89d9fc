"""Quarterly returns as delivery groups send them: reading a file within limits
(:mod:`.reading`), checking it against the rules (:mod:`.validation`), and the pre-filled
templates groups fill in (:mod:`.templates`).
"""
