"""Allow ``python -m ehrpriv``."""

import sys

from ehrpriv.cli import main

sys.exit(main())
