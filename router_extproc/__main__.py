import sys

from router_extproc.cli import main

sys.exit(main())
