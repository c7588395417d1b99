"""``python -m decode_audio``: the command line (`decode_audio._cli`)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
