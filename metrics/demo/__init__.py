"""The demo partnership: its returns, generated from profiles and put through the same
validate-then-store path as a delivery group's upload (:mod:`.build`), and the published
files it imports, real where at hand and synthetic in the real layouts elsewhere
(:mod:`.published`).
"""
