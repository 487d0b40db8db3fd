"""How much a logger.info call with 5 extras costs through logbus.Handler,
against the standard library's StreamHandler writing to /dev/null, in the
same run (machines are shared and noisy: compare the ratio).

    python3 python/bench/handler.py [records] [rounds]

Two costs per record: the caller's (the logger.info call itself: what the
program waits for) and the whole process's CPU (time.process_time: the
sender thread's JSON encoding and ZeroMQ send included). The records go
to a PULL socket in another process, which drains them.
"""

import logging
import os
import subprocess
import sys
import time

import logbus

DRAIN = """
import sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
port = s.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)
while True:
    s.recv_multipart()
"""


def run(handler, n, wait=None):
    log = logging.getLogger("bench.%d" % id(handler))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    extra = {"axis": "x", "um": 1250.5, "step": 7, "ok": True, "run_id": "r-42"}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(n):
        log.info("moved stage %s", i, extra=extra)
    caller = time.perf_counter() - wall0
    if wait:
        wait()
    cpu = time.process_time() - cpu0
    return caller / n * 1e6, cpu / n * 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    drain = subprocess.Popen([sys.executable, "-c", DRAIN], stdout=subprocess.PIPE, text=True)
    try:
        port = int(drain.stdout.readline())
        bus = logbus.Handler("tcp://127.0.0.1:%d" % port, equipment="bench", queue_records=n + 1000)
        devnull = open(os.devnull, "w")
        stream = logging.StreamHandler(devnull)
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        results = {"logbus.Handler": [], "StreamHandler(/dev/null)": []}
        for _ in range(rounds):
            target = [bus.publisher.stats().sent + n]

            def sent():
                deadline = time.monotonic() + 60
                while bus.publisher.stats().sent < target[0] and time.monotonic() < deadline:
                    time.sleep(0.001)

            results["logbus.Handler"].append(run(bus, n, sent))
            results["StreamHandler(/dev/null)"].append(run(stream, n))
        med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
        for k, v in results.items():
            print("%-26s caller %s µs/record   process CPU %s µs/record" % (
                k, " ".join("%.2f" % c for c, _ in v), " ".join("%.2f" % c for _, c in v)))
        b, s = med["logbus.Handler"], med["StreamHandler(/dev/null)"]
        print("ratio (medians, logbus / stdlib): caller %.2f×, process CPU %.2f×" % (b[0] / s[0], b[1] / s[1]))
        bus.close()
    finally:
        drain.kill()
        drain.wait()


if __name__ == "__main__":
    main()
