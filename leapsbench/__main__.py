import sys

from leapsbench.cli import main

sys.exit(main())
