"""Fixtures of the terminology tests: two workers, to see a change made through one at the other."""

from tests.tenancy.test_caches_across_workers import other_worker, workers  # noqa: F401 - fixtures
