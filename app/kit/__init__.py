"""The shared kernel: what every package uses and nothing of the domains or the engine.

The JSON and id column types (`columns`), China's time zone (`timezone`), the clock (`clock`),
the bounds of API input and paging (`bounds`, `paging`), the page and error shapes (`shared`) and
the error hierarchy (`errors`). It imports no other app package (import-linter checks it).
"""
