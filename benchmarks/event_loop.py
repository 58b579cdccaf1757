"""Event-loop stalls of async PII checks, on the loop and offloaded: ``python benchmarks/event_loop.py --corpus FILE``."""
import sys

from guardlayer.bench.event_loop import main

if __name__ == "__main__":
    sys.exit(main())
