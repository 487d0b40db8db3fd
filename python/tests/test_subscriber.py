import contextlib
import io
import json
import pickle
import time
import unittest

import zmq

import logbus
from logbus import _decode
from logbus import __main__ as cli


class PubStandIn:
    """A PUB socket the test drives by hand."""

    def __init__(self):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.PUB)
        self.port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = "tcp://127.0.0.1:%d" % self.port

    def send(self, *frames):
        self.sock.send_multipart([f if isinstance(f, bytes) else f.encode() for f in frames])

    def close(self):
        self.sock.close(linger=0)
        self.ctx.term()


def rec(seq, msg, stream=7, level="INFO", **kw):
    d = {"logbus": 1, "time": 1796040000.5, "level": level, "msg": msg, "host": "h", "pid": 1, "stream": stream, "seq": seq}
    d.update(kw)
    return json.dumps(d)


class SubscriberTest(unittest.TestCase):
    def setUp(self):
        self.pub = PubStandIn()
        self.addCleanup(self.pub.close)

    def subscriber(self, **kw):
        sub = logbus.Subscriber(self.pub.endpoint, **kw)
        self.addCleanup(sub.close)
        # PUB delivers only once the subscription arrived: probe until one does.
        deadline = time.monotonic() + 10
        while True:
            self.pub.send("PLJ", json.dumps({"logbus": 1, "msg": "probe", "level": "ERROR", "equipment": "scope-3"}))
            ev = sub.next_event(0.05)
            if ev is not None:
                break
            self.assertLess(time.monotonic(), deadline, "never joined")
        while sub.next_event(0.05) is not None:
            pass
        return sub

    def events(self, sub, n):
        out = []
        deadline = time.monotonic() + 10
        while len(out) < n:
            ev = sub.next_event(max(0.01, deadline - time.monotonic()))
            self.assertIsNotNone(ev, "%d of %d events" % (len(out), n))
            out.append(ev)
        return out

    def test_gaps_duplicates_late(self):
        sub = self.subscriber()
        self.pub.send("PLJ/scope-3/", rec(1, "one", equipment="scope-3"), rec(2, "two", equipment="scope-3"))
        self.pub.send("PLJ/scope-3/", rec(5, "five", equipment="scope-3"))   # 3 and 4 lost
        self.pub.send("PLJ/scope-3/", rec(2, "two again", equipment="scope-3"))  # a replayed copy
        self.pub.send("PLJ/scope-3/", rec(4, "four late", equipment="scope-3"))  # fills part of the gap
        evs = self.events(sub, 5)
        kinds = [(e.kind, e.record.msg if e.record else e.gap["missing"]) for e in evs]
        self.assertEqual(kinds, [("record", "one"), ("record", "two"), ("gap", 2), ("record", "five"), ("record", "four late")])
        self.assertEqual(evs[2].gap["after"], 2)
        self.assertEqual((sub.stats["duplicates"], sub.stats["late"], sub.stats["missing"]), (1, 1, 2))
        r = evs[0].record
        self.assertEqual((r.level_name, r.levelno, r.equipment, r.system, r.topic), ("INFO", 20, "scope-3", "P", "PLJ/scope-3/"))
        self.assertEqual(r.datetime.year, 2026)

    def test_filters_and_notices(self):
        sub = self.subscriber(systems=["P"], equipment=["scope-3"], min_level="WARN")
        self.pub.send("TLJ", rec(1, "test system", stream=8, level="ERROR", equipment="scope-3"))  # not subscribed
        self.pub.send("PLJ", rec(1, "other equipment", stream=9, level="ERROR", equipment="cam-1"))
        self.pub.send("PLJ", rec(2, "too low", stream=9, level="INFO", equipment="scope-3"))
        self.pub.send("!rejected", json.dumps({"logbus": 1, "summary": True, "peer": "192.0.2.7", "reason": "bad_topic",
                                               "count": 3, "first": "2026-11-29T12:00:00Z", "last": "2026-11-29T12:00:00Z",
                                               "preview": "[\"INFO\" \"x\"]"}))
        self.pub.send("PLJ", rec(3, "shown", stream=9, level="ERROR", equipment="scope-3"))
        evs = self.events(sub, 2)
        self.assertEqual(evs[0].kind, "rejected")
        self.assertEqual(evs[0].rejected["count"], 3)
        self.assertEqual((evs[1].kind, evs[1].record.msg), ("record", "shown"))
        self.assertEqual(sub.stats["filtered"], 2)

    def test_payload_kinds(self):
        sub = self.subscriber()
        distlog = {"name": "lab", "msg": "from %s", "args": ["distlog"], "message": "from distlog", "levelno": 30,
                   "levelname": "WARNING", "created": 1796040000.25, "equipment_id": "cam-1"}
        self.pub.send("PLJ", json.dumps(distlog))
        self.pub.send("PLP", pickle.dumps(distlog, protocol=2))
        self.pub.send("PPJ", json.dumps({"cpu_load": 0.5, "mem_mb": 1024, "host": "pc-9", "note": "x"}))
        self.pub.send("PLJ", b"not json")
        evs = self.events(sub, 5)
        self.assertEqual([(e.kind, getattr(e.record, "msg", None)) for e in evs[:2]],
                         [("record", "from distlog"), ("record", "from distlog")])
        self.assertEqual((evs[0].record.shape, evs[0].record.level_name, evs[0].record.equipment), ("distlog", "WARN", "cam-1"))
        self.assertEqual(sorted((e.sample.name, e.sample.value) for e in evs[2:4]), [("cpu_load", 0.5), ("mem_mb", 1024.0)])
        self.assertEqual(evs[2].sample.attrs, {"note": "x"})
        self.assertEqual(evs[4].kind, "decode_error")
        self.assertIn("malformed JSON", evs[4].error)

    def test_hostile_payloads_never_end_the_iteration(self):
        sub = self.subscriber()
        bomb = []
        for _ in range(40):
            bomb = [bomb, bomb]
        self.pub.send("PLJ", '{"logbus":1,"msg":"huge time","time":%s}' % ("9" * 400))
        self.pub.send("PLJ", '{"logbus":1,"msg":"far time","time":1e12}')
        self.pub.send("PLJ", '{"msg":"x","levelno":%s,"created":1}' % ("9" * 400))
        self.pub.send("PLJ", "[" * 5000 + "]" * 5000)
        self.pub.send("PLJ", '{"logbus":1,"msg":"deep","attrs":{"a":%s}}' % ("[" * 3000 + "]" * 3000))
        self.pub.send("PPJ", '{"logbus":1,"name":"v","value":%s}' % ("9" * 400))
        self.pub.send("PLP", pickle.dumps({"msg": "bomb", "levelno": 20, "created": 1.0, "b": bomb}, protocol=2))
        self.pub.send("PLJ", '{"logbus":1,"msg":"still here","level":"WARN"}')
        evs = self.events(sub, 8)
        self.assertEqual(evs[-1].kind, "record")
        self.assertEqual(evs[-1].record.msg, "still here")
        by_msg = {e.record.msg: e.record for e in evs if e.kind == "record"}
        self.assertIsNone(by_msg["huge time"].time)
        self.assertIsNone(by_msg["far time"].time)
        self.assertIn("time", by_msg["far time"].attrs)

    @unittest.skipIf(_decode.msgpack is None, "needs msgpack")
    def test_msgpack(self):
        import msgpack
        sub = self.subscriber()
        self.pub.send("PLM", msgpack.packb({"logbus": 1, "time": 1796040000500000000, "level": 8, "msg": "from go",
                                            "attrs": {"took": msgpack.ExtType(1, (3000).to_bytes(8, "big"))}}))
        ev, = self.events(sub, 1)
        self.assertEqual((ev.record.msg, ev.record.level_name, ev.record.time), ("from go", "ERROR", 1796040000.5))
        self.assertEqual(ev.record.attrs["took"].microseconds, 3)

    def test_without_msgpack_says_why(self):
        saved, _decode.msgpack = _decode.msgpack, None
        self.addCleanup(setattr, _decode, "msgpack", saved)
        sub = self.subscriber()
        self.pub.send("PLM", b"\x81\xa6logbus\x01")
        ev, = self.events(sub, 1)
        self.assertEqual(ev.kind, "decode_error")
        self.assertIn("python3-msgpack", ev.error)


class TailTest(unittest.TestCase):
    def test_tail_prints_records(self):
        pub = PubStandIn()
        self.addCleanup(pub.close)
        out = io.StringIO()
        import threading
        stop = threading.Event()

        def feed():
            while not stop.is_set():
                pub.send("PLJ/scope-3/", json.dumps({"logbus": 1, "msg": "motor hot", "level": "WARN", "host": "lab-7",
                                                     "equipment": "scope-3", "attrs": {"temp": 71.5}}))
                time.sleep(0.02)

        t = threading.Thread(target=feed)
        t.start()
        try:
            with contextlib.redirect_stdout(out):
                code = cli.main(["tail", "--connect", pub.endpoint, "--count", "2", "--timeout", "10"])
        finally:
            stop.set()
            t.join()
        self.assertEqual(code, 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertRegex(lines[0], r"^- WARN \[host:lab-7\] \[equip:scope-3\] motor hot temp=71.5$")

    def test_tail_usage(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(cli.main(["tail", "--system", "X", "--timeout", "0.1"]), 2)
        self.assertIn("system", err.getvalue())


if __name__ == "__main__":
    unittest.main()
