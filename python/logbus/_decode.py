"""Payload decoding: every kind a topic can carry, into Record and Sample.

JSON and pickle payloads may be logbus's schema, distlog's
LogRecord.__dict__, logbook's to_dict(), a worker line or any dictionary;
msgpack is logbus's schema (what Go publishers send). Mirrors the Go
packages codec and dialect; docs/wire.md is the reference.
"""

import base64
import datetime
import json
import math
import re

from . import _pickle, _wire

try:  # Debian: python3-msgpack
    import msgpack
except ImportError:  # pragma: no cover - depends on the machine
    msgpack = None

MSGPACK_MISSING = "msgpack payloads need the msgpack module (Debian: python3-msgpack; pip: msgpack)"


class DecodeError(ValueError):
    """A payload could not be decoded."""


class Record:
    """One log record.

    time: Unix seconds (float) or None; level: logbus's scale (INFO 0, WARN
    4, ERROR 8); levelno: the same as a Python level number; level_name:
    "WARN", "ERROR+2"…; run: {"project","kind","id"}; source:
    {"file","line","func"}; attrs: a dict, in order. system, equipment from
    the topic when the payload has none. stream and seq are 0 for senders
    that do not number their records. shape: "logbus", "distlog",
    "logbook", "worker line" or "dict".
    """

    __slots__ = ("topic", "system", "time", "level", "msg", "logger", "host", "pid", "equipment", "run",
                 "error", "source", "attrs", "stream", "seq", "shape")

    def __init__(self):
        self.topic, self.system, self.time, self.level, self.msg = "", "", None, 0, ""
        self.logger, self.host, self.pid, self.equipment, self.run = "", "", 0, "", {}
        self.error, self.source, self.attrs, self.stream, self.seq, self.shape = "", {}, {}, 0, 0, ""

    @property
    def level_name(self):
        return _wire.slog_level_name(self.level)

    @property
    def levelno(self):
        return _wire.python_level(self.level)

    @property
    def datetime(self):
        """time as an aware UTC datetime, or None."""
        return None if self.time is None else datetime.datetime.fromtimestamp(self.time, datetime.timezone.utc)

    def __repr__(self):
        return "Record(%s %s %s%s: %r)" % (self.level_name, self.topic, self.logger + " " if self.logger else "",
                                           self.equipment, self.msg)


class Sample:
    """One performance sample: name, value (float), unit, and the envelope
    fields of Record."""

    __slots__ = ("topic", "system", "time", "name", "value", "unit", "host", "pid", "equipment", "run",
                 "attrs", "stream", "seq")

    def __init__(self):
        self.topic, self.system, self.time, self.name, self.value, self.unit = "", "", None, "", 0.0, ""
        self.host, self.pid, self.equipment, self.run, self.attrs, self.stream, self.seq = "", 0, "", {}, {}, 0, 0

    def __repr__(self):
        return "Sample(%s %s=%r%s)" % (self.equipment, self.name, self.value, " " + self.unit if self.unit else "")


# -- values ------------------------------------------------------------------

def _tagged(d):
    """Reads logbus's JSON tags ({"$time": …}) back into Python values."""
    if len(d) != 1:
        return {k: _json_value(v) for k, v in d.items()}
    (k, v), = d.items()
    try:
        if k == "$float" and v in ("NaN", "Infinity", "-Infinity"):
            return float(v.replace("Infinity", "inf"))
        if k == "$bytes" and isinstance(v, str):
            return base64.b64decode(v, validate=True)
        if k == "$time" and isinstance(v, str):
            return _parse_time(v)
        if k == "$duration" and isinstance(v, int):
            return datetime.timedelta(microseconds=v / 1000)
        if k == "$group" and isinstance(v, dict):
            return {gk: _json_value(gv) for gk, gv in v.items()}
    except (ValueError, OverflowError):
        pass
    return {k: _json_value(v)}


def _json_value(v):
    if isinstance(v, dict):
        return _tagged(v)
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return v


def _parse_time(s):
    """An aware datetime from RFC 3339 text (nanoseconds cut to microseconds)."""
    t = s.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    date, sep, rest = t.partition("T") if "T" in t else t.partition(" ")
    if "." in rest:
        head, _, frac = rest.partition(".")
        digits = ""
        i = 0
        while i < len(frac) and frac[i].isdigit():
            i += 1
        digits, tz = frac[:i], frac[i:]
        rest = head + "." + (digits + "000000")[:6] + tz
    d = datetime.datetime.fromisoformat(date + "T" + rest)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


# Times a record carries: as Go's logbus.ClampTime, int64 nanoseconds
# (years 1678 to 2262).
_MAX_SECONDS = 9.2e9


def _clamp(t):
    return max(-_MAX_SECONDS, min(_MAX_SECONDS, t))


def _seconds(v):
    """Unix seconds from a JSON/pickle time: a number, RFC 3339 text or a datetime; None if neither."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        try:
            f = float(v)
        except OverflowError:
            return None
        return f if math.isfinite(f) and abs(f) < _MAX_SECONDS else None
    try:
        if isinstance(v, datetime.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=datetime.timezone.utc)
            return _clamp(v.timestamp())
        if isinstance(v, str):
            return _clamp(_parse_time(v).timestamp())
    except (ValueError, OverflowError):
        return None
    return None


def _text(v):
    if v is None:
        return ""
    return v if isinstance(v, str) else str(v)


# -- dialects ----------------------------------------------------------------

_ENVELOPE_KEYS = {"equipment_id": "equipment", "equipment": "equipment", "project_short_id": "project",
                  "run_kind": "kind", "run_id": "id", "hostname": "host"}


def _add_attr(r, k, v):
    field = _ENVELOPE_KEYS.get(k)
    if field is not None and (isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))):
        if field == "equipment":
            r.equipment = str(v)
        elif field == "host":
            r.host = str(v)
        else:
            r.run[field] = str(v)
        return
    if field is not None and v is None:
        return
    r.attrs[k] = v


def detect(d):
    """The shape of a decoded dictionary, from its keys (dialect.Detect)."""
    if "logbus" in d:
        return "logbus"
    if "levelno" in d or ("msg" in d and "created" in d):
        return "distlog"
    if "channel" in d and "level" in d:
        return "logbook"
    if "level" in d and "message" in d:
        return "worker line"
    return "dict"


_DISTLOG_DROPPED = {"args", "levelname", "msecs", "relativeCreated", "asctime", "exc_info", "filename",
                    "module", "thread", "threadName", "processName", "taskName"}
_LOGBOOK_DROPPED = {"args", "kwargs", "thread", "thread_name", "process_name", "greenlet", "frame_correction",
                    "heavy_initialized", "information_pulled", "module", "exception_name", "exception_message"}


def record_from_dict(d, shape=None):
    r = Record()
    r.shape = shape = shape or detect(d)
    if shape == "logbus":
        _read_logbus(d, r)
    elif shape == "distlog":
        _read_distlog(d, r)
    elif shape == "logbook":
        _read_logbook(d, r)
    elif shape == "worker line":
        _read_worker(d, r)
    else:
        _read_dict(d, r)
    return r


def _read_envelope(d, r, k, v):
    """The logbus schema's envelope fields; False for other keys."""
    if k == "time":
        t = _seconds(v)
        if t is None:
            r.attrs[k] = v
        else:
            r.time = t
    elif k == "host":
        r.host = _text(v)
    elif k == "pid" and isinstance(v, int):
        r.pid = v
    elif k == "equipment":
        r.equipment = _text(v)
    elif k == "system":
        r.system = _text(v)
    elif k == "run" and isinstance(v, dict):
        r.run = {rk: _text(rv) for rk, rv in v.items() if rk in ("project", "kind", "id") and rv}
    elif k == "stream" and isinstance(v, int):
        r.stream = v
    elif k == "seq" and isinstance(v, int):
        r.seq = v
    elif k == "attrs" and isinstance(v, dict):
        for ak, av in v.items():
            r.attrs[str(ak)] = _json_value(av)
    elif k == "logbus":
        pass
    else:
        return False
    return True


def _read_logbus(d, r):
    for k, v in d.items():
        if _read_envelope(d, r, k, v):
            continue
        if k == "level":
            lv = _wire.parse_level(v)
            if lv is None:
                r.attrs[k] = v
            else:
                r.level = lv
        elif k == "msg":
            r.msg = _text(v)
        elif k == "logger":
            r.logger = _text(v)
        elif k == "error":
            r.error = _text(v)
        elif k == "source" and isinstance(v, dict):
            r.source = {sk: v[sk] for sk in ("file", "line", "func") if sk in v}
        else:
            r.attrs[k] = _json_value(v)


def _read_distlog(d, r):
    msg, have_levelno, stack = None, False, ""
    for k, v in d.items():
        if k == "name":
            r.logger = _text(v)
        elif k == "msg":
            msg = v
        elif k == "message" and isinstance(v, str):
            r.msg = v
        elif k == "levelno" and isinstance(v, int) and not isinstance(v, bool) and abs(v) < 1 << 31:
            r.level, have_levelno = (v - 20) * 2 // 5 if v >= 20 else -((20 - v) * 2 // 5), True
        elif k == "levelname":
            lv = _wire.parse_level(_text(v))
            if lv is not None and not have_levelno:
                r.level = lv
        elif k == "created":
            r.time = _seconds(v)
        elif k == "pathname":
            r.source["file"] = _text(v)
        elif k == "lineno":
            r.source["line"] = v
        elif k == "funcName":
            r.source["func"] = _text(v)
        elif k == "process" and isinstance(v, int):
            r.pid = v
        elif k == "exc_text":
            if v is not None:
                r.error = _text(v)
        elif k == "stack_info":
            if v is not None:
                stack = _text(v)
        elif k not in _DISTLOG_DROPPED:
            _add_attr(r, k, v)
    if not r.msg and msg is not None:
        r.msg = _text(msg)
    if stack:
        r.error = (r.error + "\n" if r.error else "") + stack


def _logbook_level(n):
    # logbook: TRACE 9, DEBUG 10, INFO 11, NOTICE 12, WARNING 13, ERROR 14, CRITICAL 15.
    return {9: -8, 10: -4, 11: 0, 12: 2, 13: 4, 14: 8, 15: 12}.get(n, 0)


_LOGBOOK_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z\Z")


def _logbook_time(v):
    """logbook's time text: its fraction is a count of microseconds, as
    logbook writes it (".5123Z" is 5123 µs; dialect.logbookTime); other
    text is RFC 3339."""
    if isinstance(v, str):
        m = _LOGBOOK_TIME.match(v)
        if m:
            try:
                base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
            except ValueError:
                return None
            return base.timestamp() + int(m.group(2) or 0) / 1e6
    return _seconds(v)


def _read_logbook(d, r):
    msg, exc_name, exc_message = None, None, None
    for k, v in d.items():
        if k == "channel":
            r.logger = _text(v)
        elif k == "msg":
            msg = v
        elif k == "message" and isinstance(v, str):
            r.msg = v
        elif k == "level":
            if isinstance(v, int) and not isinstance(v, bool):
                r.level = _logbook_level(v)
            else:
                lv = _wire.parse_level(_text(v))
                if lv is not None:
                    r.level = lv
        elif k == "time":
            r.time = _logbook_time(v)
        elif k == "process" and isinstance(v, int):
            r.pid = v
        elif k == "filename":
            r.source["file"] = _text(v)
        elif k == "lineno":
            r.source["line"] = v
        elif k == "func_name":
            r.source["func"] = _text(v)
        elif k == "formatted_exception":
            if v is not None:
                r.error = _text(v)
        elif k == "exception_name":
            exc_name = v
        elif k == "exception_message":
            exc_message = v
        elif k == "extra":
            if isinstance(v, dict):
                for ek, ev in v.items():
                    _add_attr(r, str(ek), ev)
            elif v is not None:
                _add_attr(r, k, v)
        elif k not in _LOGBOOK_DROPPED:
            _add_attr(r, k, v)
    if not r.msg and msg is not None:
        r.msg = _text(msg)
    if not r.error and isinstance(exc_name, str):
        r.error = exc_name + (": " + exc_message if isinstance(exc_message, str) else "")


def _read_worker(d, r):
    for k, v in d.items():
        if k == "level":
            lv = _wire.parse_level(_text(v))
            r.level = 0 if lv is None else lv
        elif k == "message":
            r.msg = _text(v)
        elif k == "logger":
            r.logger = _text(v)
        elif k == "error":
            r.error = _text(v)
        elif k == "time":
            t = _seconds(v)
            if t is not None:
                r.time = t
        elif k == "context":
            if isinstance(v, dict):
                for ck, cv in v.items():
                    _add_attr(r, str(ck), _json_value(cv))
            elif v is not None:
                r.attrs[k] = v
        else:
            _add_attr(r, k, _json_value(v))


def _read_dict(d, r):
    # Other structured loggers' JSON lines: the names they share
    # (docs/wire.md, "Worker lines").
    have = set()
    for k, v in d.items():
        if k in ("msg", "message", "event") and isinstance(v, str) and "msg" not in have:
            r.msg = v
            have.add("msg")
            continue
        if k in ("level", "levelname", "severity") and isinstance(v, str) and "level" not in have:
            lv = _wire.parse_level(v)
            if lv is not None:
                r.level = lv
                have.add("level")
                continue
        if k in ("time", "timestamp", "ts", "@timestamp") and "time" not in have:
            t = _seconds(v)
            if t is not None:
                r.time = t
                have.add("time")
                continue
        if k in ("logger", "logger_name") and isinstance(v, str) and "logger" not in have:
            r.logger = v
            have.add("logger")
            continue
        if k in ("error", "exception", "exc_info", "stacktrace") and isinstance(v, str) and "error" not in have:
            r.error = v
            have.add("error")
            continue
        _add_attr(r, str(k), _json_value(v))


def sample_from_logbus(d):
    s = Sample()
    tmp = Record()
    for k, v in d.items():
        if _read_envelope(d, tmp, k, v):
            continue
        if k == "name":
            s.name = _text(v)
        elif k == "value":
            v = _json_value(v)
            try:
                s.value = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")
            except OverflowError:
                s.value = float("inf") if v > 0 else float("-inf")
        elif k == "unit":
            s.unit = _text(v)
        else:
            tmp.attrs[k] = _json_value(v)
    s.time, s.host, s.pid, s.equipment, s.run = tmp.time, tmp.host, tmp.pid, tmp.equipment, tmp.run
    s.system, s.stream, s.seq, s.attrs = tmp.system, tmp.stream, tmp.seq, tmp.attrs
    return s


def samples_from_dict(d):
    """A free-form dictionary of measurements (distlog's performance
    messages): one sample per numeric field (codec.decodeJSONSamples)."""
    env = Record()
    rest = {}
    numbers = []
    for k, v in d.items():
        if k in ("host", "hostname") and isinstance(v, str):
            env.host = v
        elif k in ("equipment", "equipment_id") and isinstance(v, str):
            env.equipment = v
        elif k == "time" and _seconds(v) is not None:
            env.time = _seconds(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                numbers.append((k, float(v)))
            except OverflowError:
                numbers.append((k, float("inf") if v > 0 else float("-inf")))
        else:
            rest[k] = v
    out = []
    for name, value in numbers or [("fields", 0.0)]:
        s = Sample()
        s.time, s.host, s.equipment, s.name, s.value, s.attrs = env.time, env.host, env.equipment, name, value, dict(rest)
        out.append(s)
    return out


# -- payloads ----------------------------------------------------------------

def _msgpack_ext(code, data):
    if code == 1 and len(data) == 8:  # duration: int64 nanoseconds
        return datetime.timedelta(microseconds=int.from_bytes(data, "big", signed=True) / 1000)
    if code == 2:  # an integer beyond 64 bits, decimal digits
        try:
            return int(data.decode("ascii"))
        except ValueError:
            pass
    return msgpack.ExtType(code, data)


def _msgpack_value(v, depth=0):
    if depth > 256:
        raise DecodeError("msgpack payload nested deeper than 256")
    if msgpack is not None and isinstance(v, msgpack.Timestamp):
        try:
            return v.to_datetime()
        except (ValueError, OverflowError):
            return datetime.datetime.fromtimestamp(_clamp(v.seconds), datetime.timezone.utc)
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else str(k)): _msgpack_value(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list):
        return [_msgpack_value(x, depth + 1) for x in v]
    return v


def decode_dict(encoding, payload):
    """The dictionary a payload holds; raises DecodeError."""
    if encoding == "J":
        try:
            d = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as e:
            raise DecodeError("malformed JSON: %s" % e) from None
    elif encoding == "P":
        try:
            d = _pickle.loads(payload)
        except _pickle.PickleError as e:
            raise DecodeError(str(e)) from None
    elif encoding == "M":
        if msgpack is None:
            raise DecodeError(MSGPACK_MISSING)
        try:
            d = msgpack.unpackb(payload, raw=False, strict_map_key=False, ext_hook=_msgpack_ext, timestamp=0)
        except Exception as e:  # msgpack raises several kinds
            raise DecodeError("malformed msgpack: %s" % e) from None
        d = _msgpack_value(d)
        if isinstance(d, dict) and "time" in d and isinstance(d["time"], int) and not isinstance(d["time"], bool):
            d["time"] = _clamp(d["time"] / 1e9) if abs(d["time"]) < 1 << 64 else None  # msgpack: integer nanoseconds
    else:
        raise DecodeError("unknown encoding %r" % encoding)
    if not isinstance(d, dict):
        raise DecodeError("payload is not a dictionary but %s" % type(d).__name__)
    if encoding == "M" and "logbus" not in d:
        raise DecodeError("msgpack payload lacks the logbus field")
    return d
