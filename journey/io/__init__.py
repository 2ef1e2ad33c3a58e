"""Reading and writing: event logs, surveys, orders, graph exports. Validates once; imports no analysis."""
