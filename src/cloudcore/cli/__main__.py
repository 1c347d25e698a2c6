"""``python -m cloudcore.cli``: the same as the ``cloudcore`` command."""

import sys

from . import main

sys.exit(main())
