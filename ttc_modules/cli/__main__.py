"""``python -m ttc_modules.cli``: the ``ttc`` command."""

import sys

from ttc_modules.cli import main

if __name__ == "__main__":
    sys.exit(main())
