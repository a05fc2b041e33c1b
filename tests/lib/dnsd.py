#!/usr/bin/env python3
"""A small authoritative DNS server for proctor's tests.

    dnsd.py ADDR ZONE QUERYLOG READY

Answers A, AAAA and CNAME records over UDP and TCP on ADDR port 53 from
ZONE, lines of "NAME TYPE VALUE TTL" ("*.NAME" answers every name below
NAME; a CNAME is followed one step to its target's records), a name
without records of the type asked with an SOA of TTL 60 in the
authority section (as real servers do), and NXDOMAIN for every other
name.  Every query that arrives is appended
to QUERYLOG as "PROTO NAME TYPE", so a test can tell which names reached
the server.  READY is created once both sockets listen.
"""
import ipaddress
import socket
import struct
import sys
import threading

TYPES = {1: "A", 5: "CNAME", 28: "AAAA"}
CODES = {v: k for k, v in TYPES.items()}


def load(path):
    zone = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 4:
                zone.append((w[0].lower().rstrip("."), w[1], w[2], int(w[3])))
    return zone


def lookup(zone, name, qtype):
    exists, out = False, []
    for zname, ztype, value, ttl in zone:
        if zname == name or (zname.startswith("*.") and
                             name.endswith(zname[1:])):
            exists = True
            if ztype == qtype:
                out.append((value, ttl))
    return exists, out


def encode(name):
    return b"".join(bytes([len(l)]) + l.encode()
                    for l in name.rstrip(".").split(".")) + b"\0"


def records(zone, name, tname):
    """(owner, type, rdata, ttl) for name, following one CNAME."""
    exists, out = lookup(zone, name, "CNAME")
    if out:
        target, ttl = out[0]
        _, more = lookup(zone, target.lower(), tname)
        return True, [(name, "CNAME", encode(target), ttl)] + \
            [(target, tname, ipaddress.ip_address(v).packed, t)
             for v, t in more]
    exists, out = lookup(zone, name, tname)
    return exists, [(name, tname, ipaddress.ip_address(v).packed, t)
                    for v, t in out]


def parse_question(msg):
    off, labels = 12, []
    while msg[off] != 0:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    qtype, = struct.unpack("!H", msg[off + 1:off + 3])
    return ".".join(labels).lower(), qtype, off + 5


def answer(zone, msg, proto, log):
    name, qtype, qend = parse_question(msg)
    tname = TYPES.get(qtype, str(qtype))
    with open(log, "a") as f:
        f.write("%s %s %s\n" % (proto, name, tname))
    exists, rrs = records(zone, name, tname)
    rcode = 0 if exists else 3
    nodata = exists and not rrs
    head = msg[:2] + struct.pack("!BBHHHH", 0x84 | (msg[2] & 1), rcode,
                                 1, len(rrs), 1 if nodata else 0, 0)
    body = msg[12:qend]
    for owner, rtype, data, ttl in rrs:
        body += encode(owner) + struct.pack("!HHIH", CODES[rtype], 1, ttl,
                                            len(data))
        body += data
    if nodata:
        soa = encode("ns.test") + encode("admin.test") + \
            struct.pack("!IIIII", 1, 3600, 600, 86400, 60)
        body += encode(name) + struct.pack("!HHIH", 6, 1, 60, len(soa)) + soa
    return head + body


def serve_udp(sock, zone, log):
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(zone, msg, "udp", log), peer)
        except (IndexError, struct.error):
            pass


def serve_tcp_conn(conn, zone, log):
    with conn:
        while True:
            head = conn.recv(2)
            if len(head) < 2:
                return
            n, = struct.unpack("!H", head)
            msg = b""
            while len(msg) < n:
                chunk = conn.recv(n - len(msg))
                if not chunk:
                    return
                msg += chunk
            try:
                out = answer(zone, msg, "tcp", log)
            except (IndexError, struct.error):
                return
            conn.sendall(struct.pack("!H", len(out)) + out)


def serve_tcp(sock, zone, log):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, zone, log),
                         daemon=True).start()


def main():
    addr, zonefile, log, ready = sys.argv[1:5]
    zone = load(zonefile)
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((addr, 53))
    tcp = socket.socket(family, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, 53))
    tcp.listen(64)
    threading.Thread(target=serve_udp, args=(udp, zone, log),
                     daemon=True).start()
    open(ready, "w").close()
    serve_tcp(tcp, zone, log)


if __name__ == "__main__":
    main()
