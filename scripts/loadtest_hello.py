"""The load test's reference: a hello-world Flask app, served by the same gunicorn config and
nginx site as Tadamon (scripts/loadtest.py), so a page's requests/s is read as a ratio to it."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, world!"


@app.route("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
