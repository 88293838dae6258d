"""The web edge of elenco: the Flask app that answers the form's Apps Script, Pub/Sub, cron and the staff menu.

    wsgi.py      the entry point gunicorn and App Engine import: reads the environment, builds the app
    serve.py     `elenco serve`: the same app under waitress, with a periodic sync (a laptop)
    settings.py  `WebhookSettings`, the one typed configuration `app.create_app` takes
    app.py       the composition root: store, scheduler, verdict, blueprints
    hooks.py, tasks.py, health.py, public.py, addon.py   one blueprint per job (routes only)
    verdict.py   a submission → the verdict, through the sync's own parse and validation (pure)
    auth.py, store.py, scheduler.py, logs.py, context.py, secret_source.py, deploy.py   the machinery
    labels.py    every Italian word the webhook shows to people

What may be imported here: the standard library, the third-party libraries of `pyproject.toml` (flask,
werkzeug, waitress, filelock, google-auth, click, …), the public API of `sync` (its modules and their
names without a leading underscore: `sync.pipeline.sync_now`, `sync.validate.check`,
`sync.parse.parse_rows`, `sync.config.Settings`, `sync.errors`, …) and the other `webhook` modules.
What may not: private names of `sync` (`sync.x._y`), and, the other way round, anything of `webhook`
from `sync` — the library never imports the web app (tests/test_architecture.py checks it). Only the
entry points (`wsgi.py`, `serve.py`) read the process environment; everything else gets its settings.
"""
