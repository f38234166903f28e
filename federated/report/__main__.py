"""`python -m federated.report RUN_DIR ...`: see `federated.report.cli`."""

import sys

from federated.report.cli import main

sys.exit(main())
