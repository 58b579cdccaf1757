"""Structured output: find the JSON in what a model wrote, repair it, coerce it to a schema,
validate it, and say precisely what is wrong when it cannot be trusted.

- `extract`: candidate JSON values in a text (fences, prose, several blocks, truncated output).
- `lenient`: the commonest breakages, read fast (a regex per token) as json-repair reads them.
- `repair`: json-repair behind a guard against its "nothing found" answer.
- `coerce`: schema-aware coercion; every change is recorded as a `Coercion`.
- `schema`: a schema given as a pydantic model or a JSON Schema, and its validation problems.
- `conform`: the pipeline both JSON guards run (extract -> coerce -> validate).
- `partial`: the best parse of a streamed prefix, for progress UIs.
"""
