import datetime
import logging
import os
import pickle
import random
import tempfile
import unittest

from logbus import _pickle


class Evil:
    """Unpickling this with pickle.loads would run a shell command."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, ("touch " + self.path,))


class Thing:
    def __init__(self):
        self.a = 1


class RestrictedPickleTest(unittest.TestCase):
    def test_plain_data_every_protocol(self):
        when = datetime.datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
        value = {"msg": "motor hot", "levelno": 30, "args": (1, 2.5, None), "flag": True, "raw": b"\x00\xff",
                 "nested": {"list": [1, [2, [3]]], "set": {4}}, "when": when, "naive": when.replace(tzinfo=None),
                 "took": datetime.timedelta(seconds=3), "day": when.date(), "big": 1 << 80, "neg": -5}
        for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
            got = _pickle.loads(pickle.dumps(value, protocol=proto))
            self.assertEqual(got["msg"], "motor hot", proto)
            self.assertEqual(got["args"], (1, 2.5, None), proto)
            self.assertEqual(got["raw"], b"\x00\xff", proto)
            self.assertEqual(got["nested"]["list"], [1, [2, [3]]], proto)
            self.assertEqual(got["when"], when, proto)
            self.assertEqual(got["took"], datetime.timedelta(seconds=3), proto)
            self.assertEqual(got["day"], when.date(), proto)
            self.assertEqual(got["big"], 1 << 80, proto)

    def test_log_record_dict(self):
        rec = logging.LogRecord("lab", logging.WARNING, "/x.py", 3, "motor %s", ("hot",), None)
        d = _pickle.loads(pickle.dumps(rec.__dict__, protocol=2))
        self.assertEqual(d["msg"], "motor %s")
        self.assertEqual(d["levelno"], 30)

    def test_objects_are_described_not_built(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pwned")
            for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
                got = _pickle.loads(pickle.dumps({"x": Evil(path)}, protocol=proto))
                self.assertFalse(os.path.exists(path), "the pickle ran a command")
                self.assertIn(got["x"]["$class"], ("posix.system", "nt.system", "os.system"))
                self.assertEqual(got["x"]["args"], ["touch " + path])
                thing = _pickle.loads(pickle.dumps(Thing(), protocol=proto))
                self.assertTrue(thing["$class"].endswith("Thing"), thing)
                self.assertEqual(thing["state"], {"a": 1}, proto)

    def test_refused(self):
        class P(pickle.Pickler):
            def persistent_id(self, obj):
                return "id" if obj == "secret" else None

        import io
        buf = io.BytesIO()
        P(buf, protocol=2).dump({"a": "secret"})
        with self.assertRaises(_pickle.PickleError):
            _pickle.loads(buf.getvalue())
        for bad in [b"", b"\x80", b"\x80\x02}q\x00", b"not a pickle", b"\x80\x02]q\x00(K\x01e", b"0."]:
            with self.assertRaises(_pickle.PickleError):
                _pickle.loads(bad)

    def test_hostile_shapes_are_bounded(self):
        bomb = []
        for _ in range(60):
            bomb = [bomb, bomb]  # shared: a small pickle of 2^60 items
        data = pickle.dumps(bomb, protocol=2)
        self.assertLess(len(data), 2000)
        with self.assertRaisesRegex(_pickle.PickleError, "items"):
            _pickle.loads(data)
        loop = []
        loop.append(loop)
        with self.assertRaisesRegex(_pickle.PickleError, "contains itself"):
            _pickle.loads(pickle.dumps(loop, protocol=2))
        deep = b"\x80\x02N" + b"\x85" * 100000 + b"."
        with self.assertRaises(_pickle.PickleError):
            _pickle.loads(deep)
        self.assertEqual(_pickle.loads(pickle.dumps({"n": 10 ** 5000}))["n"], "<integer of 16610 bits>")
        self.assertEqual(_pickle.loads(b"cos\nsystem\n."), "os.system")
        key = pickle.dumps({(1, 2): "tuple key", "k": [bomb[0]] if False else 1}, protocol=2)
        self.assertIn("<tuple key>", _pickle.loads(key))

    def test_mutations_fail_cleanly(self):
        rnd = random.Random(16)
        base = pickle.dumps({"msg": "m", "args": [1, 2, {"k": b"v"}], "t": datetime.datetime(2026, 1, 1)}, protocol=4)
        for _ in range(3000):
            b = bytearray(base)
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            try:
                _pickle.loads(bytes(b))
            except _pickle.PickleError:
                pass


if __name__ == "__main__":
    unittest.main()
