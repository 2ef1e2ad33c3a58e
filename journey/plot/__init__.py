"""Pictures (matplotlib only): they take results, never files."""
