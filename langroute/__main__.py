"""``python -m langroute``: the command line (see `langroute.cli`)."""

from langroute.cli import main

raise SystemExit(main())
