"""Pure matching domain: text analysis, scoring, indexes, subscriptions and scaling (no I/O)."""
