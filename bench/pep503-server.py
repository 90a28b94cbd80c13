#!/usr/bin/env python3
"""The pip floor of bench/installs.mjs: a static PEP 503 tree served over HTTP.

`python3 -m http.server` logs a line per request to stderr, and the bench runs pip (and
everything else in the pip suite) with spawnSync, so Node's event loop never runs to read
that pipe: once the pipe's buffer was full the server blocked writing its log and stopped
answering (pip: "Read timed out"). Reproduced with 1,000 sequential curl requests from a
parent blocked in spawnSync: they hang with the log on a pipe and finish with it in a file.
This server logs nothing, serves HTTP/1.1 (keep-alive, as wrangler dev does, so the floor
is not slowed by a connection per request) and is otherwise http.server's file serving,
one thread per connection.

    python3 bench/pep503-server.py <port> <directory>
"""
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(QuietHandler, directory=directory)
    with Server(("127.0.0.1", port), handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
