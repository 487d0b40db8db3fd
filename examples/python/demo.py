"""Sends a few records through logbus.Handler: python3 demo.py [endpoint].

Needs the logbus package (pip install --no-build-isolation ./python, or
PYTHONPATH=python) and pyzmq.
"""

import logging
import sys

import logbus

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5010"
handler = logbus.Handler(endpoint, equipment="scope-3", project="p-19", run_kind="calibration", run_id="r-42")
log = logging.getLogger("lab.stage")
log.setLevel(logging.DEBUG)
log.addHandler(handler)

log.info("stage moved", extra={"x_um": 1250.5, "axis": "x"})
log.warning("drift above limit", extra={"equipment_id": "stage-2", "drift": float("nan")})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("calibration failed")
log.log(25, "custom level between INFO and WARNING")
handler.close()
print("sent")
