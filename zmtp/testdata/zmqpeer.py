"""Scripted libzmq peer for the zmtp interoperability tests.

Prints one line per event on stdout; the Go test reads them.
"""
import argparse
import struct
import sys
import time

import zmq


def out(*parts):
    print(*parts, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", required=True)
    ap.add_argument("--bind")
    ap.add_argument("--connect")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--prefix", action="append", default=[])
    ap.add_argument("--topic", action="append", default=[])
    ap.add_argument("--wait-subs", type=int, default=0)
    ap.add_argument("--hb-ivl", type=int, default=0)
    ap.add_argument("--plain-user")
    ap.add_argument("--plain-pass")
    ap.add_argument("--plain-server", action="store_true")
    ap.add_argument("--accept-user")
    ap.add_argument("--accept-pass")
    ap.add_argument("--timeout", type=float, default=15.0)
    a = ap.parse_args()

    ctx = zmq.Context()
    auth = None
    kind = {"push": zmq.PUSH, "pull": zmq.PULL, "pub": zmq.XPUB, "sub": zmq.SUB,
            "xpub": zmq.XPUB, "xsub": zmq.XSUB}[a.role]
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 2000)
    s.setsockopt(zmq.RCVTIMEO, int(a.timeout * 1000))
    s.setsockopt(zmq.SNDTIMEO, int(a.timeout * 1000))
    s.setsockopt(zmq.MAXMSGSIZE, -1)
    if a.role in ("pub", "xpub"):
        s.setsockopt(zmq.XPUB_VERBOSE, 1)
        s.setsockopt(zmq.SNDHWM, 0)
    if a.hb_ivl:
        s.setsockopt(zmq.HEARTBEAT_IVL, a.hb_ivl)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, a.hb_ivl * 10)
        s.setsockopt(zmq.HEARTBEAT_TTL, a.hb_ivl * 20)
    if a.plain_user is not None:
        s.plain_username = a.plain_user.encode()
        s.plain_password = (a.plain_pass or "").encode()
    if a.plain_server:
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords={a.accept_user: a.accept_pass})
        s.plain_server = True
    for p in a.prefix:
        if a.role == "xsub":
            pass
        else:
            s.setsockopt(zmq.SUBSCRIBE, p.encode())
    if a.bind:
        s.bind(a.bind)
        out("EP", s.getsockopt(zmq.LAST_ENDPOINT).decode())
    if a.connect:
        s.connect(a.connect)
        out("CONNECTING")
    if a.role == "xsub":
        for p in a.prefix:
            s.send(b"\x01" + p.encode())

    try:
        if a.role == "push":
            for i in range(a.count):
                s.send_multipart([b"T", payload(i, a.size)])
            out("DONE", a.count)
            sys.stdin.readline()
        elif a.role in ("pull", "sub", "xsub"):
            for i in range(a.count):
                m = s.recv_multipart()
                if a.role == "pull":
                    idx = struct.unpack(">Q", m[1][:8])[0]
                    if idx != i or len(m[1]) != a.size:
                        out("BAD", i, idx, len(m[1]))
                        return
                else:
                    if a.prefix and not any(m[0].startswith(p.encode()) for p in a.prefix):
                        out("BADTOPIC", m[0].hex())
                        return
            out("OK", a.count)
            sys.stdin.readline()
        elif a.role in ("pub", "xpub"):
            for _ in range(a.wait_subs):
                m = s.recv()
                out("SUB", m[:1].hex(), m[1:].decode("latin-1"))
            topics = [t.encode() for t in a.topic] or [b"T"]
            for i in range(a.count):
                s.send_multipart([topics[i % len(topics)], payload(i, a.size)])
            out("DONE", a.count)
            sys.stdin.readline()
        elif a.role == "idle":
            sys.stdin.readline()
    except zmq.Again:
        out("TIMEOUT")
    finally:
        s.close()
        if auth is not None:
            auth.stop()
        ctx.term()


def payload(i, size):
    b = struct.pack(">Q", i)
    if size > len(b):
        b += b"x" * (size - len(b))
    return b


if __name__ == "__main__":
    main()
