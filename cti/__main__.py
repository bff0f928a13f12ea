"""`python -m cti` is the `cti` command."""

import sys

from cti.cli.main import main

sys.exit(main())
