"""Statistics on counts, never on logs: intervals, proportions, NPS, tests, sample sizes, KPIs, Kaplan-Meier."""
