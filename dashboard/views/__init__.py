"""The pages: each renders what the domain library returns (import-linter checks them)."""
