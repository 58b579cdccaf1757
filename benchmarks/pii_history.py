"""The PII guard's cost per chat turn as the history grows: ``python benchmarks/pii_history.py --corpus FILE``."""
import sys

from guardlayer.bench.pii_history import main

if __name__ == "__main__":
    sys.exit(main())
