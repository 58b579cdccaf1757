"""Benchmark the policy guard: ``python benchmarks/policy.py --json OUT.json [--plots DIR]``
(the same as ``guardlayer bench policy ...``)."""
import sys

from guardlayer.bench.policy import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
