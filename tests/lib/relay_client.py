#!/usr/bin/env python3
"""Clients for proctor's relay tests, run under proctor.

    relay_client.py keepalive HOST PORT      GET then POST on one connection
    relay_client.py hello HOST PORT SNI [ech]  a bare ClientHello naming SNI
    relay_client.py quic HOST PORT           one UDP datagram
    relay_client.py connect HOST PORT        connect, print the errno name
    relay_client.py raw HOST PORT TEXT       send TEXT (\\r\\n escapes), print
                                             what comes back
"""
import errno
import os
import socket
import struct
import sys


def recv_all(s):
    out = b""
    s.settimeout(10)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        out += b"<timeout>"
    return out


def keepalive(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /first HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    first = s.recv(65536)
    s.sendall(b"POST /second HTTP/1.1\r\nHost: %s\r\nContent-Length: 5"
              b"\r\n\r\nhello" % host.encode())
    rest = recv_all(s)
    sys.stdout.write((first + b"\n--\n" + rest).decode("latin-1"))


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def hello(host, port, sni, ech=False):
    name = sni.encode()
    sn = struct.pack("!BH", 0, len(name)) + name
    exts = ext(0, struct.pack("!H", len(sn)) + sn)
    exts += ext(0x002b, b"\x02\x03\x04")  # supported_versions: 1.3
    if ech:
        exts += ext(0xfe0d, b"\x00" * 40)
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" +
            b"\x00\x02\x13\x01" + b"\x01\x00" +
            struct.pack("!H", len(exts)) + exts)
    msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
    rec = b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg
    s = socket.create_connection((host, port), timeout=10)
    # split across two writes: the relay must join them
    s.sendall(rec[:7])
    s.sendall(rec[7:])
    got = recv_all(s)
    print("closed" if not got else "answered %d bytes" % len(got))


def quic(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"\xc0" + b"\x00" * 1200, (host, port))
        print("sent")
    except OSError as e:
        print(errno.errorcode[e.errno])


def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=10).close()
        print("connected")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e)))


def raw(host, port, text):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(text.encode().decode("unicode_escape").encode("latin-1"))
    sys.stdout.write(recv_all(s).decode("latin-1"))


cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if cmd == "keepalive":
    keepalive(host, port)
elif cmd == "hello":
    hello(host, port, sys.argv[4], len(sys.argv) > 5)
elif cmd == "quic":
    quic(host, port)
elif cmd == "connect":
    connect(host, port)
elif cmd == "raw":
    raw(host, port, sys.argv[4])
