"""The web app: Flask blueprints that translate HTTP ↔ the `sync` library, the scheduler and `elenco serve`.

    wsgi.py      the entry point gunicorn and App Engine import: reads the environment, builds the app
    serve.py     `elenco serve`: the same app under waitress, with a periodic sync (a laptop)
    settings.py  `WebhookSettings`, the one typed configuration `app.create_app` takes
    app.py       the composition root: store, scheduler, verdict, blueprints
    hooks.py, tasks.py, health.py, public.py, addon.py   one blueprint per job (routes only)
    verdict.py   a submission → the verdict, through the sync's own parse and validation (pure)
    auth.py, store.py, scheduler.py, logs.py, context.py, secret_source.py, deploy.py   the machinery
    labels.py    every Italian word the webhook shows to people

May import: the standard library, Flask and the web libraries it is deployed with, `webhook.*`, and the
`sync` library's public entries — the pipeline's one entry (`sync.pipeline`), `sync.backends`, `sync.config`,
`sync.errors`, `sync.model`, `sync.layouts`, and the pure stages the applicant's verdict needs (`sync.parse`,
`sync.validate`, `sync.comuni`, `sync.modulo`, `sync.staff_menu`). Words for people come from
`webhook.labels` (applicants, the add-on) and `sync.labels` (staff). Only `webhook.serve`, the `elenco serve`
command, imports `sync.cli` (its `--config` option and error presentation); the command line finds it
through the `elenco.commands` entry point, never by importing it. Only the entry points (`webhook.wsgi`,
`webhook.serve`) read the process environment; everything else is given its settings.
Must not import: private names of `sync` (`_…`). Nothing in `sync` imports `webhook`
(tests/test_architecture.py checks it, and that there is no import cycle).
"""
