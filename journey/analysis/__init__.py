"""Log analyses, each declared once for the engine: graph, variants, funnel, drop-off, Markov, engagement, ..."""
