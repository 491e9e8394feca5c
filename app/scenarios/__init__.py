"""`ducha test`: scenario files run against the diagrams, with flow coverage (issue 15, item 7).

- `files`    the scenario format (YAML beside the diagrams, `processes/tests/*.yaml`), read and
             checked: an unknown key or step is refused, never skipped
- `runner`   one scenario driven through the engine's own use cases (start, complete, the
             scheduler's timer round, message correlation), with the first mismatch explained
- `coverage` which sequence flows and flow nodes of each diagram the scenarios reached
- `command`  the whole run in a scratch database, and its text or JSON report
"""
