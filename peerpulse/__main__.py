"""``python -m peerpulse``: the same command line as the ``peerpulse`` script."""

import sys

from peerpulse.cli import main

sys.exit(main())
