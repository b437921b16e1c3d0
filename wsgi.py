"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

import gc

# Start-up allocates a few hundred thousand long-lived objects (modules, models, routes,
# templates): the cyclic garbage collector would scan them over and over while they are
# created (about a fifth of a command's start-up) and then at every full collection of every
# request (walked, they made a full collection take 100-270 ms: a gunicorn worker's slowest
# 1 % of pages). So it is off while the application is built, and what was built is frozen out
# of its reach (gc.freeze: kept for the process's life, never scanned).
gc.disable()
try:
    from tadamon import create_app

    app = create_app()
finally:
    gc.freeze()
    gc.enable()
