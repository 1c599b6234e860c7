"""Process modules: one per workflow, each registering its effects with
`rules.workflow.effect`. Every module in this package is imported at start-up (discovered, never
listed), so a process cannot be silently absent. Helpers that are not effects live elsewhere in
`rules/` (e.g. rules/points.py, rules/stock.py)."""
