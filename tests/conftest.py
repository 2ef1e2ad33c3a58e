"""Test settings shared by every test module."""

from hypothesis import HealthCheck, settings

# Derandomised: the same examples on every run, so CI results are reproducible.
settings.register_profile(
    "journey", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("journey")
