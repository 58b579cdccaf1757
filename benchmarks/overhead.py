"""Chain overhead per call and import time: ``python benchmarks/overhead.py --json out/overhead.json``."""
import sys

from guardlayer.bench.overhead import main

if __name__ == "__main__":
    sys.exit(main())
