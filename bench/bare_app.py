"""The framework's own ceiling: a bare Flask app returning a small JSON body.

Served by ``bench/run.py`` with the same gunicorn settings as the API (2 gthread workers, 8 threads).
"""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify({"status": "ok", "service": "bare-flask"})
