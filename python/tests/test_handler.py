import io
import json
import logging
import logging.config
import os
import subprocess
import sys
import time
import unittest

import logbus
from tests.helpers import FakeBroker


def _logger(handler, name):
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log


class HandlerTest(unittest.TestCase):
    def setUp(self):
        self.broker = FakeBroker()
        self.addCleanup(self.broker.close)

    def handler(self, **kw):
        h = logbus.Handler(self.broker.endpoint, **kw)
        self.addCleanup(h.close)
        return h

    def test_record_fields_and_numbering(self):
        h = self.handler(equipment="scope-3", project="p-19")
        log = _logger(h, "lab.stage")
        log.warning("moved %d um", 1250, extra={"axis": "x", "speed": 2.5})
        log.info("second")
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("failed")
        recs = self.broker.records(3)
        topic, d = recs[0]
        self.assertEqual(topic, "PLJ/scope-3/")
        self.assertEqual(d["level"], "WARN")
        self.assertEqual(d["msg"], "moved 1250 um")
        self.assertEqual(d["logger"], "lab.stage")
        self.assertEqual(d["equipment"], "scope-3")
        self.assertEqual(d["run"], {"project": "p-19"})
        self.assertEqual(d["attrs"], {"axis": "x", "speed": 2.5})
        self.assertEqual(d["pid"], os.getpid())
        self.assertIsInstance(d["time"], float)
        self.assertEqual(d["source"]["func"], "test_record_fields_and_numbering")
        streams = {r[1]["stream"] for r in recs}
        self.assertEqual(len(streams), 1)
        self.assertEqual([r[1]["seq"] for r in recs], [1, 2, 3])
        self.assertIn("ZeroDivisionError", recs[2][1]["error"])
        self.assertEqual(recs[2][1]["level"], "ERROR")

    def test_precedence_extras_scope_defaults(self):
        h = self.handler(equipment="default-eq", run_id="r-default")
        log = _logger(h, "lab.prec")
        log.info("defaults")
        with logbus.scope(equipment="scope-eq", run_kind="cal"):
            log.info("scope")
            with logbus.scope(run_id="r-inner"):
                log.info("inner")
            log.info("extras", extra={"equipment_id": "extra-eq", "run_id": "r-extra", "hostname": "pc-9"})
        log.info("after")
        recs = [d for _, d in self.broker.records(5)]
        got = [(d["msg"], d.get("equipment"), d.get("run"), d["host"]) for d in recs]
        host = recs[0]["host"]
        self.assertEqual(got, [
            ("defaults", "default-eq", {"id": "r-default"}, host),
            ("scope", "scope-eq", {"kind": "cal", "id": "r-default"}, host),
            ("inner", "scope-eq", {"kind": "cal", "id": "r-inner"}, host),
            ("extras", "extra-eq", {"kind": "cal", "id": "r-extra"}, "pc-9"),
            ("after", "default-eq", {"id": "r-default"}, host),
        ])
        # Topics follow the equipment, and each topic is numbered on its own.
        topics = [t for t, _ in self.broker.quiet(0)] or None
        self.assertIsNone(topics)

    def test_dict_config(self):
        logging.config.dictConfig({
            "version": 1, "disable_existing_loggers": False,
            "handlers": {"bus": {"class": "logbus.Handler", "endpoint": self.broker.endpoint, "equipment": "cam-1",
                                 "system": "T", "level": "INFO"}},
            "loggers": {"lab.dict": {"handlers": ["bus"], "level": "DEBUG", "propagate": False}},
        })
        log = logging.getLogger("lab.dict")
        self.addCleanup(lambda: [h.close() for h in log.handlers])
        log.debug("filtered by the handler's level")
        log.info("configured")
        (topic, d), = self.broker.records(1)
        self.assertEqual((topic, d["msg"]), ("TLJ/cam-1/", "configured"))

    def test_sample(self):
        self.handler()
        logbus.default_publisher().sample("stage.temperature", 21.5, "degC", equipment="cryo-1", attrs={"probe": 2})
        with logbus.scope(equipment="cryo-2"):
            logbus.sample("stage.pressure", float("nan"))
        recs = self.broker.records(2)
        self.assertEqual(recs[0][0], "PPJ/cryo-1/")
        self.assertEqual((recs[0][1]["name"], recs[0][1]["value"], recs[0][1]["unit"]), ("stage.temperature", 21.5, "degC"))
        self.assertEqual(recs[0][1]["attrs"], {"probe": 2})
        self.assertEqual(recs[1][0], "PPJ/cryo-2/")
        self.assertEqual(recs[1][1]["value"], {"$float": "NaN"})

    def test_bad_values_degrade(self):
        class Broken:
            def __repr__(self):
                raise RuntimeError("no repr")

            __str__ = __repr__

        h = self.handler()
        log = _logger(h, "lab.bad")
        log.info("odd", extra={"obj": Broken(), "inf": float("inf"), "raw": b"\x00"})
        (_, d), = self.broker.records(1)
        self.assertTrue(d["attrs"]["obj"].startswith("!ERROR: Broken"))
        self.assertEqual(d["attrs"]["inf"], {"$float": "Infinity"})
        self.assertEqual(d["attrs"]["raw"], {"$bytes": "AA=="})


class OverflowTest(unittest.TestCase):
    def test_overflow_warns_once_and_reports(self):
        broker = FakeBroker()
        self.addCleanup(broker.close)
        err = io.StringIO()
        port = broker.port
        broker.close()  # nobody listens: records wait, then overflow
        pub = logbus.Publisher("tcp://127.0.0.1:%d" % port, queue_records=50, stderr=err, flush_timeout=5)
        self.addCleanup(pub.close, 0)
        for i in range(500):
            pub.record("INFO", "r%d" % i)
        dropped = pub.stats().dropped
        self.assertGreaterEqual(dropped, 500 - 50 - 64)
        self.assertEqual(err.getvalue().count("queue full"), 1, err.getvalue())
        # The broker comes: the queue drains and the drop count follows.
        broker2 = FakeBroker(port)
        self.addCleanup(broker2.close)
        recs = broker2.records(500 - dropped + 1)
        reports = [d for _, d in recs if d.get("logger") == "logbus.publisher"]
        self.assertEqual(len(reports), 1, [d["msg"] for _, d in recs[-3:]])
        self.assertEqual(reports[0]["attrs"]["dropped"], dropped)
        self.assertEqual(reports[0]["level"], "WARN")


class ExitTest(unittest.TestCase):
    def test_broker_down_exits_within_the_bound(self):
        script = (
            "import logging, logbus\n"
            "h = logbus.Handler('tcp://127.0.0.1:9', flush_timeout=1.0)\n"
            "log = logging.getLogger('x'); log.addHandler(h); log.setLevel(logging.INFO)\n"
            "for i in range(10005): log.info('r %d', i)\n")
        start = time.monotonic()
        p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        took = time.monotonic() - start
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^logbus: 10005 records not delivered to tcp://127.0.0.1:9 \(")
        self.assertLess(took, 10, "exit took %.1f s" % took)


class ForkTest(unittest.TestCase):
    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_child_gets_its_own_stream(self):
        broker = FakeBroker()
        self.addCleanup(broker.close)
        h = logbus.Handler(broker.endpoint)
        self.addCleanup(h.close)
        log = _logger(h, "lab.fork")
        log.info("parent before")
        (_, before), = broker.records(1)
        pid = os.fork()
        if pid == 0:
            try:
                log.info("child")
                h.close()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        log.info("parent after")
        recs = {d["msg"]: d for _, d in broker.records(2)}
        self.assertEqual(recs["child"]["pid"], pid)
        self.assertNotEqual(recs["child"]["stream"], before["stream"])
        self.assertEqual(recs["child"]["seq"], 1)
        self.assertEqual((recs["parent after"]["stream"], recs["parent after"]["seq"]), (before["stream"], 2))


if __name__ == "__main__":
    unittest.main()


class RobustnessTest(unittest.TestCase):
    def setUp(self):
        self.broker = FakeBroker()
        self.addCleanup(self.broker.close)

    def test_bad_endpoint_and_time(self):
        for bad in ["127.0.0.1:5010", "tcp://127.0.0.1", "http://x:1", "tcp://:x"]:
            with self.assertRaises(ValueError, msg=bad):
                logbus.Handler(bad)
        pub = logbus.Publisher(self.broker.endpoint)
        self.addCleanup(pub.close, 0)
        for when in [float("nan"), "yesterday"]:
            with self.assertRaises(ValueError):
                pub.record("INFO", "m", when=when)
        self.assertTrue(pub.record("INFO", "still sending"))
        (_, d), = self.broker.records(1)
        self.assertEqual(d["msg"], "still sending")

    def test_oversize_record_is_cut_not_lost(self):
        pub = logbus.Publisher(self.broker.endpoint)
        self.addCleanup(pub.close, 0)
        pub.record("ERROR", "x" * (3 << 20), attrs={"big": "y" * (2 << 20)})
        pub.record("INFO", "next")
        recs = self.broker.records(2)
        big = recs[0][1]
        self.assertLess(len(json.dumps(big)), 200 << 10)
        self.assertTrue(big["msg"].endswith("characters]"), big["msg"][-60:])
        self.assertGreater(big["attrs"]["logbus.truncated_bytes"], 5 << 20)
        self.assertEqual((big["level"], recs[1][1]["msg"], recs[1][1]["seq"]), ("ERROR", "next", 2))

    def test_attributes_keep_their_order(self):
        h = logbus.Handler(self.broker.endpoint)
        self.addCleanup(h.close)
        log = _logger(h, "lab.order")
        extra = {k: i for i, k in enumerate(["e5", "a1", "d4", "b2", "c3"])}
        log.info("ordered", extra=extra)
        (_, d), = self.broker.records(1)
        self.assertEqual(list(d["attrs"]), ["e5", "a1", "d4", "b2", "c3"])

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_forked_child_with_inherited_publisher_and_os_exit(self):
        pub = logbus.Publisher(self.broker.endpoint)
        self.addCleanup(pub.close, 0)
        h = logbus.Handler(self.broker.endpoint)
        self.addCleanup(h.close)
        log = _logger(h, "lab.fork2")
        pid = os.fork()
        if pid == 0:
            try:
                for i in range(500):
                    pub.record("INFO", "child pub %d" % i)
                    log.info("child log %d", i)
                logging.shutdown()  # what a child ending with os._exit does first
                pub.close()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        msgs = {d["msg"] for _, d in self.broker.records(1000)}
        self.assertEqual(len(msgs), 1000)

    def test_handler_flush_waits(self):
        h = logbus.Handler(self.broker.endpoint)
        self.addCleanup(h.close)
        log = _logger(h, "lab.flush")
        for i in range(2000):
            log.info("r %d", i)
        h.flush()
        self.assertEqual(h.publisher.stats().sent, 2000)

    def test_sustained_overflow_warns_once(self):
        err = io.StringIO()
        port = self.broker.port
        self.broker.close()
        pub = logbus.Publisher("tcp://127.0.0.1:%d" % port, queue_records=100, stderr=err)
        self.addCleanup(pub.close, 0)
        for i in range(3000):
            pub.record("INFO", "r%d" % i, equipment="eq-%d" % (i % 3))
        self.assertEqual(err.getvalue().count("queue full"), 1, err.getvalue())
        broker2 = FakeBroker(port)
        self.addCleanup(broker2.close)
        dropped = pub.stats().dropped
        recs = broker2.records(3000 - dropped + 3)
        reports = {d.get("equipment"): d["attrs"]["dropped"] for _, d in recs if d.get("logger") == "logbus.publisher"}
        self.assertEqual(set(reports), {"eq-0", "eq-1", "eq-2"})
        self.assertEqual(sum(reports.values()), dropped)

    def test_sample_takes_the_handler_defaults(self):
        self.handler = logbus.Handler(self.broker.endpoint, equipment="scope-3", project="p-19")
        self.addCleanup(self.handler.close)
        logbus.sample("stage.temperature", 21.5, "degC")
        (topic, d), = self.broker.records(1)
        self.assertEqual((topic, d["equipment"], d["run"]), ("PPJ/scope-3/", "scope-3", {"project": "p-19"}))
