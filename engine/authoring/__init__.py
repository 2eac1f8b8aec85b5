"""Tools for writing and testing rules: `assay test`, `explain`, `check` warnings, `stats`,
`eval` rendering, `kwic`, and the pytest plugin. Each module does one job; engine/cli.py is a
thin shell over them."""
