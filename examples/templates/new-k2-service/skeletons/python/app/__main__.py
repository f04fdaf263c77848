"""Runs the service: `python -m app`. Standard library only."""

import json
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "${{ values.name }}"
PORT = int(os.environ.get("PORT", "${{ values.port }}"))
LOG_DIR = os.environ.get("LOG_DIR", "/log-dir")

_lock = threading.Lock()
try:
    # K2's log directory, when it is there (a release mounts /log-dir).
    _file = open(os.path.join(LOG_DIR, SERVICE + ".log"), "a", encoding="utf-8")
except OSError:
    _file = None


def log(level, message, **fields):
    """One JSON object per line on stdout, and in the log directory."""
    entry = {
        "time": datetime.now(timezone.utc).isoformat(),
        "level": level,
        "service": SERVICE,
        "message": message,
        **fields,
    }
    line = json.dumps(entry) + "\n"
    with _lock:
        sys.stdout.write(line)
        sys.stdout.flush()
        if _file:
            _file.write(line)
            _file.flush()


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        started = time.monotonic()
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
            return
        if self.path == "/":
            self._reply(200, {"service": SERVICE, "message": "Hello from K2"})
        else:
            self._reply(404, {"error": "not found"})
        log(
            "info",
            "request",
            method="GET",
            path=self.path,
            ms=round((time.monotonic() - started) * 1000, 3),
        )

    def log_message(self, format, *args):
        pass  # requests are logged as JSON above


def main():
    server = ThreadingHTTPServer(("", PORT), Handler)

    def stop(signum, frame):
        # Kubernetes stops a pod with SIGTERM: stop accepting, then exit.
        log("info", "stopping")
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    log("info", "listening", port=PORT)
    server.serve_forever()


if __name__ == "__main__":
    main()
