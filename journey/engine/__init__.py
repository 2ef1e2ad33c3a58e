"""The execution engine: journeys as integer arrays, analyses as mergeable partials, backends."""
