"""Token counting and budget benchmark; same as ``guardlayer bench tokens``."""
import sys

from guardlayer.bench.tokens import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
