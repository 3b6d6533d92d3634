"""`python -m stsviz`."""

from stsviz.entry import main

raise SystemExit(main())
