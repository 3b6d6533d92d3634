"""`python -m stsviz`."""

from stsviz.cli import main

raise SystemExit(main())
