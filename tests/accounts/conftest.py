"""Two workers on one database (tests/tenancy): Admin → People's totals are kept per process."""

from tests.tenancy.test_caches_across_workers import other_worker, workers  # noqa: F401 - fixtures
