"""Concierge's benchmark: the read path against a naive baseline and hand-written SQL."""
