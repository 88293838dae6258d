"""The web app: Flask blueprints that translate HTTP ↔ the `sync` library, the scheduler and `elenco serve`.

May import: the standard library, Flask and the web libraries it is deployed with, `webhook.*`, and the
`sync` library's public entries — the pipeline's one entry (`sync.pipeline`), `sync.backends`, `sync.config`,
`sync.errors`, `sync.model`, `sync.layouts`, and the pure stages the applicant's verdict needs (`sync.parse`,
`sync.validate`, `sync.modulo`, `sync.staff_menu`). Words for people come from `webhook.labels` (applicants,
the add-on) and `sync.labels` (staff). Only `webhook.serve`, the `elenco serve` command, imports `sync.cli`
(its `--config` option and error presentation); the command line finds it through the `elenco.commands`
entry point, never by importing it.
Must not import: private names of `sync` (`_…`). Nothing in `sync` imports `webhook`
(tests/test_architecture.py checks it, and that there is no import cycle).
"""
