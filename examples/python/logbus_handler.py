"""A standard-library logging handler that publishes to a logbus broker.

Only pyzmq is needed (Debian: python3-zmq). Records are sent as
[topic, JSON] in logbus's own schema (docs/wire.md), so they carry the
equipment and run context as fields of their own and route per equipment:

    import logging
    from logbus_handler import LogbusHandler

    handler = LogbusHandler("tcp://127.0.0.1:5010", equipment="scope-3",
                            project="p-19", run_kind="calibration", run_id="r-42")
    logging.getLogger().addHandler(handler)
    logging.getLogger("stage").warning("moved", extra={"x_um": 1250.5})

Per-record extras named equipment (or equipment_id), project_short_id,
run_kind and run_id override the handler's values.
"""

import datetime
import json
import logging
import math
import os
import socket

import zmq

# LogRecord attributes that are not the caller's extras.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_FORMATTER = logging.Formatter()
_VALID = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _level(levelno):
    # Python's 10/20/30/40/50 onto logbus's names; anything else in between.
    names = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "CRITICAL"}
    if levelno in names:
        return names[levelno]
    slog = (levelno - 20) * 2 // 5
    base = max(v for v in (-4, 0, 4, 8, 12) if v <= slog) if slog >= -4 else -4
    name = {-4: "DEBUG", 0: "INFO", 4: "WARN", 8: "ERROR", 12: "CRITICAL"}[base]
    return name if slog == base else "%s%+d" % (name, slog - base)


def _value(v):
    # JSON has no NaN or infinity: logbus tags them (docs/wire.md).
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")}
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_value(x) for x in v]
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, datetime.datetime):
        return {"$time": v.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
    return str(v)


class LogbusHandler(logging.Handler):
    """Publishes log records to a logbus broker over ZeroMQ PUSH."""

    def __init__(self, endpoint="tcp://127.0.0.1:5010", system="P", equipment=None,
                 project=None, run_kind=None, run_id=None, level=logging.NOTSET):
        super().__init__(level)
        self.system = system
        self.defaults = {"equipment": equipment, "project": project, "kind": run_kind, "id": run_id}
        self.host = socket.gethostname()
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.PUSH)
        self.socket.setsockopt(zmq.SNDHWM, 10000)
        self.socket.connect(endpoint)

    def emit(self, record):
        try:
            extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
            equipment = extras.pop("equipment", None) or extras.pop("equipment_id", None) or self.defaults["equipment"]
            run = {
                "project": extras.pop("project_short_id", None) or self.defaults["project"] or "",
                "kind": extras.pop("run_kind", None) or self.defaults["kind"] or "",
                "id": extras.pop("run_id", None) or self.defaults["id"] or "",
            }
            when = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            doc = {
                "logbus": 1,
                "time": when.isoformat().replace("+00:00", "Z"),
                "level": _level(record.levelno),
                "msg": record.getMessage(),
                "logger": record.name,
                "host": self.host,
                "pid": os.getpid(),
                "source": {"file": record.pathname, "line": record.lineno, "func": record.funcName},
            }
            if equipment:
                doc["equipment"] = str(equipment)
            if any(run.values()):
                doc["run"] = run
            if record.exc_info:
                doc["error"] = _FORMATTER.formatException(record.exc_info)
            elif record.exc_text:
                doc["error"] = record.exc_text
            if record.stack_info:
                doc["error"] = (doc.get("error", "") + "\n" + record.stack_info).lstrip("\n")
            if extras:
                doc["attrs"] = _value(extras)
            topic = self.system + "LJ"
            if equipment and len(str(equipment)) <= 128 and set(str(equipment)) <= _VALID and str(equipment) not in (".", ".."):
                topic += "/" + str(equipment) + "/"
            # NOBLOCK: a program must never hang on its logging; past the
            # high-water mark the record is dropped and reported by handleError.
            self.socket.send_multipart([topic.encode(), json.dumps(doc, allow_nan=False).encode()], flags=zmq.NOBLOCK)
        except Exception:
            self.handleError(record)

    def close(self):
        # Give queued records up to 5 s to reach the broker at exit.
        try:
            self.socket.close(linger=5000)
        finally:
            super().close()
