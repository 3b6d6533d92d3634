"""The commands behind `stsviz`: live (no command), `replay`, `demo`, `sim` and `record`.

One module per command; each imports `common` (exit codes, errors, validators,
logging) and no other command. `stsviz.cli` parses and dispatches to them.
"""
