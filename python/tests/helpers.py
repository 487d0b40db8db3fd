"""Shared helpers of the Python tests: a PULL socket standing in for a
broker's ingest, bounded waits."""

import json
import time

import zmq


class FakeBroker:
    """A PULL socket on an ephemeral loopback port, decoding what arrives."""

    def __init__(self, port=None):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.PULL)
        if port is None:
            self.port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        else:
            self.port = port
            self.sock.bind("tcp://127.0.0.1:%d" % port)
        self.endpoint = "tcp://127.0.0.1:%d" % self.port

    def messages(self, n, timeout=10.0):
        """n messages, each [topic, payload dicts…]; fails after timeout."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise AssertionError("%d of %d messages within %.1f s" % (len(out), n, timeout))
            frames = self.sock.recv_multipart()
            out.append([frames[0].decode()] + [json.loads(f) for f in frames[1:]])
        return out

    def records(self, n, timeout=10.0):
        """n payloads (in messages of any batch size), each (topic, dict)."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            for m in self.messages(1, max(0.01, deadline - time.monotonic())):
                out.extend((m[0], d) for d in m[1:])
        return out

    def quiet(self, seconds=0.2):
        """Whatever arrives within seconds."""
        out = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                return out
            frames = self.sock.recv_multipart()
            out.extend((frames[0].decode(), json.loads(f)) for f in frames[1:])

    def close(self):
        self.sock.close(linger=0)
        self.ctx.term()


def wait_for(cond, timeout=10.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)
