#!/usr/bin/env python3
"""Answers proctor's approval socket for a test: SOCK OUT [ANSWER]...

Connects to SOCK (waiting up to 10 s for it), writes every line proctor
sends to OUT, and answers each question ("type": "request") with the
next ANSWER in turn, then with "deny-once".  "--all ANSWER" answers every
question with ANSWER; "--none" answers none (questions wait).
"""
import json
import socket
import sys
import time

sock, out, answers = sys.argv[1], sys.argv[2], sys.argv[3:]
every = answers[1] if answers[:1] == ["--all"] else None
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        break
    except OSError:
        time.sleep(0.05)
log = open(out, "w", buffering=1)
for line in s.makefile("rb"):
    log.write(line.decode())
    m = json.loads(line)
    if m.get("type") != "request":
        continue
    if answers[:1] == ["--none"]:
        continue
    a = every or (answers.pop(0) if answers else "deny-once")
    s.sendall(b'{"id":%d,"answer":"%s"}\n' % (m["id"], a.encode()))
