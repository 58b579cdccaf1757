.PHONY: setup demo test bench

setup:
	scripts/setup.sh

demo: setup
	.venv/bin/guardlayer demo

test:
	scripts/test.sh -q

bench: setup
	.venv/bin/python benchmarks/overhead.py --json out/overhead.json
