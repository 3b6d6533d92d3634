"""`python -m stsviz`: the same as the `stsviz` command (stsviz.entry.main), with the same options and exit codes."""

from stsviz.entry import main

raise SystemExit(main())
