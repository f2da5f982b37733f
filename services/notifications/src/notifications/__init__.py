"""E-mail for the organisations' contacts (issue #19)."""
