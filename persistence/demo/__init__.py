"""Deterministic demo data, from a newcomer's sample up to the benchmark dataset."""

from persistence.demo.bulk import DemoDataExists, SeedSummary, seed_demo
from persistence.demo.dataset import DEMO_USERNAME, SIZES, DemoSize

__all__ = ["DEMO_USERNAME", "SIZES", "DemoDataExists", "DemoSize", "SeedSummary", "seed_demo"]
