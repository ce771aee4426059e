"""``python -m mentionwatch.cli ...``: the ``mentionwatch`` command."""

import sys

from mentionwatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
