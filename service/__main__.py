"""`python -m service` is the `borderwatch` command."""

from service.cli import main

raise SystemExit(main())
