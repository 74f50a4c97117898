"""``python -m autograder.release``: rebuild course/ (see :mod:`autograder.release.release`)."""

import sys

from .release import main

sys.exit(main())
