"""The wire format: topics, levels and the JSON record schema (docs/wire.md).

Pure: no sockets. Mirrors the Go packages topic and codec.
"""

import base64
import datetime
import math
import re

DEFAULT_ENDPOINT = "tcp://127.0.0.1:5010"
DEFAULT_FANOUT = "tcp://127.0.0.1:5011"

SYSTEMS = ("T", "S", "P")
KINDS = ("L", "P")
ENCODINGS = ("J", "M", "P")

# Handshake property of a sender that numbers its records (Go:
# origin.StreamProperty); the broker marks its messages as numbered.
STREAM_PROPERTY = "X-Logbus-Stream"

REJECTED_TOPIC = b"!rejected"
NOTICE_PREFIX = b"!"
ORIGIN_MAGIC = b"\x00LBO"

_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")


def valid_name(s):
    """Whether s is a valid equipment id: 1-128 of [A-Za-z0-9._-], not "." or ".."."""
    return isinstance(s, str) and s not in (".", "..") and _NAME.match(s) is not None


def topic(system, kind, equipment=None, encoding="J"):
    """The topic frame: system + kind + encoding, then /equipment/ when valid."""
    t = system + kind + encoding
    if equipment and valid_name(equipment):
        t += "/" + equipment + "/"
    return t.encode("ascii")


def parse_topic(frame):
    """(system, kind, encoding, equipment) of a topic frame, or None when it is not one."""
    if len(frame) < 3 or len(frame) > 3 + 1 + 128 + 1:
        return None
    try:
        s = frame.decode("ascii")
    except UnicodeDecodeError:
        return None
    if s[0] not in SYSTEMS or s[1] not in KINDS or s[2] not in ENCODINGS:
        return None
    equipment = ""
    if len(s) > 3:
        if s[3] != "/" or s[-1] != "/" or len(s) < 6 or not valid_name(s[4:-1]):
            return None
        equipment = s[4:-1]
    return s[0], s[1], s[2], equipment


# Levels: logbus uses slog's scale (DEBUG -4, INFO 0, NOTICE 2, WARN 4,
# ERROR 8, CRITICAL 12); Python's are 10/20/30/40/50.
_PY_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "CRITICAL"}
_SLOG_BY_NAME = {"TRACE": -8, "DEBUG": -4, "INFO": 0, "NOTICE": 2, "WARN": 4, "WARNING": 4,
                 "ERROR": 8, "ERR": 8, "CRITICAL": 12, "FATAL": 12, "CRIT": 12}


def level_name(levelno):
    """The logbus level name of a Python level number: 30 is "WARN", 35 "WARN+2"."""
    name = _PY_NAMES.get(levelno)
    if name is not None:
        return name
    slog = int((levelno - 20) * 2 / 5)  # truncates toward zero, as the Go reader does
    return slog_level_name(slog)


def slog_level_name(slog):
    """The name of a level on logbus's scale, as Go's logbus.Level.String
    gives it: 4 is "WARN", 6 "WARN+2", -6 "TRACE+2", 3 "INFO+3"."""
    def name(base, val):
        return base if slog == val else "%s%+d" % (base, slog - val)
    if slog < -4:
        return name("TRACE", -8)
    if slog < 0:
        return name("DEBUG", -4)
    if slog == 2:
        return "NOTICE"
    if slog < 4:
        return name("INFO", 0)
    if slog < 8:
        return name("WARN", 4)
    if slog < 12:
        return name("ERROR", 8)
    return name("CRITICAL", 12)


def parse_level(v):
    """A level on logbus's scale from a name ("WARN", "ERROR+2") or a number; None when neither."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if not isinstance(v, str):
        return None
    s = v.strip()
    base, off = s, 0
    for i, c in enumerate(s):
        if i > 0 and c in "+-":
            try:
                off = int(s[i:])
            except ValueError:
                return None
            base = s[:i]
            break
    slog = _SLOG_BY_NAME.get(base.upper())
    return None if slog is None else slog + off


def python_level(slog):
    """The Python level number of a logbus level (INFO 0 -> 20, WARN 4 -> 30)."""
    return 20 + (slog * 5) // 2


def iso_time(t):
    """RFC 3339 UTC with microseconds, "Z" suffix, from a Unix time in seconds."""
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_PLAIN = (str, bool, int, type(None))
_TAGS = ("$float", "$bytes", "$time", "$duration", "$group")
_INT64 = 1 << 63


def _key(k):
    if type(k) is str:
        return k
    try:
        return str(k)
    except Exception as e:  # a key whose str() fails: still a key
        return "!ERROR: %s key: %s" % (type(k).__name__, e)


def encode_attrs(attrs):
    """encode_value of an attribute dict, with a fast path for the plain
    values most attributes are."""
    out = {}
    for k, v in attrs.items():
        if type(v) in _PLAIN or (type(v) is float and math.isfinite(v)):
            out[_key(k)] = v
        else:
            out[_key(k)] = encode_value(v, 1)
    if len(out) == 1 and next(iter(out)) in _TAGS:
        return {"$group": out}
    return out


def encode_value(v, depth=0):
    """A JSON-ready form of an attribute value, with logbus's tags for what
    JSON lacks (docs/wire.md). It never fails: a value that cannot be
    rendered becomes the marked string "!ERROR: <type>: <why>". numpy
    scalars and arrays (anything with item() or tolist()) become numbers
    and lists."""
    try:
        return _encode(v, depth)
    except RecursionError:
        return "!ERROR: %s: nested too deep" % type(v).__name__
    except Exception as e:
        return "!ERROR: %s: %s" % (type(v).__name__, e)


def _encode(v, depth):
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return {"$float": "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")}
    if depth >= 64:
        return "!ERROR: %s: nested more than 64 levels" % type(v).__name__
    if isinstance(v, dict):
        out = {_key(k): encode_value(x, depth + 1) for k, x in v.items()}
        if len(out) == 1 and next(iter(out)) in _TAGS:
            return {"$group": out}
        return out
    if isinstance(v, (list, tuple, set, frozenset)):
        return [encode_value(x, depth + 1) for x in v]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.astimezone()  # naive: local time, as Python means it
        return {"$time": v.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if isinstance(v, datetime.timedelta):
        ns = (v.days * 86400 + v.seconds) * 1_000_000_000 + v.microseconds * 1000
        if -_INT64 <= ns < _INT64:
            return {"$duration": ns}
        return str(v)  # beyond what logbus carries (292 years)
    item = getattr(v, "item", None)
    if callable(item) and getattr(v, "shape", None) == ():
        return encode_value(item(), depth + 1)  # a numpy scalar
    tolist = getattr(v, "tolist", None)
    if callable(tolist):
        return encode_value(tolist(), depth + 1)  # a numpy array
    return str(v)
