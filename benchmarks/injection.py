"""Injection benchmark as a script: same as ``guardlayer bench injection`` (see --help)."""
import sys

from guardlayer.bench.injection import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
