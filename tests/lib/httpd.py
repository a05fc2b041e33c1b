#!/usr/bin/env python3
"""A small HTTP/1.1 server for proctor's relay tests.

    httpd.py ADDR PORT LOG [CERT KEY]

Answers every method with 200 and a short body naming the method and
path (GET of /big answers the file named by $HTTPD_BIG), keeps
connections alive, and appends one line per request to LOG as
"METHOD HOST PATH", so a test can tell which requests reached it.  With
CERT and KEY it speaks TLS.  LOG gets "ready" when it listens.
"""
import hashlib
import http.server
import os
import socketserver
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(LOG, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.headers.get("Host"),
                                    self.path))
            if body:
                f.write("body %d %s\n" % (len(body),
                                          hashlib.sha256(body).hexdigest()))
        if self.path == "/big" and os.environ.get("HTTPD_BIG"):
            path = os.environ["HTTPD_BIG"]
            self.send_response(200)
            self.send_header("Content-Length", str(os.path.getsize(path)))
            self.end_headers()
            with open(path, "rb") as f:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    self.wfile.write(b)
            return
        body = ("%s %s\n" % (self.command, self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_DELETE = answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


LOG = sys.argv[3]
srv = Server((sys.argv[1], int(sys.argv[2])), Handler)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(LOG, "a") as f:
    f.write("ready\n")
srv.serve_forever()
