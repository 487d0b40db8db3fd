import datetime
import math
import unittest

from logbus import _wire


class LevelTest(unittest.TestCase):
    def test_python_levels(self):
        for levelno, name in [(10, "DEBUG"), (20, "INFO"), (25, "NOTICE"), (30, "WARN"), (35, "WARN+2"),
                              (40, "ERROR"), (50, "CRITICAL"), (5, "TRACE+2"), (15, "DEBUG+2"), (22, "INFO"), (60, "CRITICAL+4")]:
            self.assertEqual(_wire.level_name(levelno), name, levelno)

    def test_round_trip(self):
        for name in ["TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRITICAL", "WARN+2", "TRACE+2", "INFO+3", "CRITICAL+5"]:
            self.assertEqual(_wire.slog_level_name(_wire.parse_level(name)), name)
        self.assertEqual(_wire.parse_level("warning"), 4)
        self.assertEqual(_wire.parse_level(" ERROR+1 "), 9)
        self.assertIsNone(_wire.parse_level("LOUD"))
        self.assertIsNone(_wire.parse_level(True))
        self.assertEqual(_wire.python_level(4), 30)
        self.assertEqual(_wire.python_level(8), 40)


class TopicTest(unittest.TestCase):
    def test_build_and_parse(self):
        self.assertEqual(_wire.topic("P", "L", "scope-3"), b"PLJ/scope-3/")
        self.assertEqual(_wire.topic("T", "P", None), b"TPJ")
        self.assertEqual(_wire.topic("P", "L", "../x"), b"PLJ")  # an unsafe id never routes
        self.assertEqual(_wire.parse_topic(b"PLM/scope-3/"), ("P", "L", "M", "scope-3"))
        self.assertEqual(_wire.parse_topic(b"SPJ"), ("S", "P", "J", ""))
        for bad in [b"INFO", b"XLJ", b"PLJ/", b"PLJ//", b"PLJ/a", b"PLJ/../", b"\xff\xfe\xfd", b"PL"]:
            self.assertIsNone(_wire.parse_topic(bad), bad)

    def test_names(self):
        self.assertTrue(_wire.valid_name("scope-3.a_b"))
        for bad in ["", ".", "..", "a/b", "x" * 129, "é", None]:
            self.assertFalse(_wire.valid_name(bad), bad)


class ValueTest(unittest.TestCase):
    def test_tags(self):
        t = datetime.datetime(2026, 11, 29, 12, 0, 0, 500, tzinfo=datetime.timezone.utc)
        self.assertEqual(_wire.encode_value(float("nan")), {"$float": "NaN"})
        self.assertEqual(_wire.encode_value(-math.inf), {"$float": "-Infinity"})
        self.assertEqual(_wire.encode_value(b"\x00\x01"), {"$bytes": "AAE="})
        self.assertEqual(_wire.encode_value(t), {"$time": "2026-11-29T12:00:00.000500Z"})
        self.assertEqual(_wire.encode_value(datetime.timedelta(milliseconds=3)), {"$duration": 3000000})
        self.assertEqual(_wire.encode_value({"$time": "x"}), {"$group": {"$time": "x"}})
        self.assertEqual(_wire.encode_value((1, {2})), [1, [2]])

    def test_odd_values_degrade(self):
        class Broken:
            def __str__(self):
                raise RuntimeError("no")

        self.assertTrue(_wire.encode_value(Broken()).startswith("!ERROR: Broken"))
        deep = []
        cur = deep
        for _ in range(100):
            nxt = []
            cur.append(nxt)
            cur = nxt
        self.assertIsInstance(_wire.encode_value(deep), list)  # cut at 64 levels, no RecursionError


if __name__ == "__main__":
    unittest.main()
