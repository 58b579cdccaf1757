"""Benchmark the pii guard: ``python benchmarks/pii.py --corpus FILE --json OUT.json``
(the same as ``guardlayer bench pii ...``)."""
import sys

from guardlayer.bench.pii import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
