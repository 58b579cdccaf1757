"""Structured-output benchmark: ``python benchmarks/json_output.py --corpus FILE --json OUT``,
the same as ``guardlayer bench json ...`` (named so as not to shadow the standard ``json``)."""
import sys

from guardlayer.bench.json import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
