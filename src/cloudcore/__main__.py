"""``python -m cloudcore``: the same as the ``cloudcore`` command."""

import sys

from .cli import main

sys.exit(main())
