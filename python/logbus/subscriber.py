"""The subscriber: decoded records and samples from a broker's fan-out."""

import collections
import json
import os

import zmq

from . import _decode, _wire

DecodeError = _decode.DecodeError
Record = _decode.Record
Sample = _decode.Sample


class Event:
    """One thing the subscriber has to say.

    kind is "record" (record set), "sample" (sample set), "gap" (gap set:
    records a numbered stream lost before the next one: a dict with stream,
    topic, host, pid, missing, after), "decode_error" (error set: a
    message or payload that could not be decoded, with why) or "rejected"
    (rejected set: the broker's report of messages it refused, a dict as
    docs/wire.md describes). topic is the message's topic frame as text.
    """

    __slots__ = ("kind", "topic", "record", "sample", "gap", "error", "rejected")

    def __init__(self, kind, topic="", record=None, sample=None, gap=None, error=None, rejected=None):
        self.kind, self.topic, self.record, self.sample = kind, topic, record, sample
        self.gap, self.error, self.rejected = gap, error, rejected

    def __repr__(self):
        what = self.record or self.sample or self.gap or self.error or self.rejected
        return "Event(%s %r)" % (self.kind, what)


class _Stream:
    __slots__ = ("last", "holes", "host", "pid")

    def __init__(self, seq, host, pid):
        self.last, self.holes, self.host, self.pid = seq, [], host, pid


_MAX_HOLES = 64


class Subscriber:
    """Reads a broker's fan-out (or archive) and yields decoded events.

    endpoint: default $LOGBUS_FANOUT, else tcp://127.0.0.1:5011. systems
    ("T", "S", "P") and kinds ("L" logs, "P" samples) select by topic
    prefix, so the broker sends nothing else; equipment (a list of ids) is
    matched against each record's own equipment after decoding (Python
    clients do not all put it in the topic) unless topic_routing is True.
    min_level (a Python level number or a logbus name) drops records below
    it after gap checking, so filtered records never look lost. The broker's
    reports of rejected messages always come through.

    Records of numbered streams (logbus publishers) are checked: a jump in
    a stream's sequence on a topic yields a "gap" event with the exact
    count; a copy of a record already received (a publisher's replay
    after a reconnect) is dropped and counted; a record that fills part of a
    gap already reported is delivered and counted as late. max_streams
    bounds the streams followed (100000; the least recently started are
    forgotten).

    Payloads of every kind are read: JSON, msgpack (with the msgpack
    module; without it each such payload is a "decode_error" saying so) and
    pickle, by a reader that builds plain data only (nothing is imported or
    called).

    Iterate over it (for ev in sub), or call next_event(timeout). Not safe
    for concurrent use; close() it when done (or use it in a with block).
    """

    def __init__(self, endpoint=None, *, systems=None, kinds=None, equipment=None, topic_routing=False,
                 min_level=None, queue=10000, max_streams=100000, username=None, password=None):
        self.endpoint = endpoint or os.environ.get("LOGBUS_FANOUT") or _wire.DEFAULT_FANOUT
        self.equipment = set(equipment or ())
        if isinstance(min_level, str):
            lv = _wire.parse_level(min_level)
            if lv is None:
                raise ValueError("logbus: min_level %r: not a level" % min_level)
            min_level = _wire.python_level(lv)
        self.min_level = min_level
        self.max_streams = max_streams
        self.stats = collections.Counter()
        self._streams = collections.OrderedDict()
        self._pending = collections.deque()
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.SUB)
        self._sock.setsockopt(zmq.RCVHWM, queue)
        if username:
            self._sock.setsockopt(zmq.PLAIN_USERNAME, username.encode())
            self._sock.setsockopt(zmq.PLAIN_PASSWORD, (password or "").encode())
        for p in _prefixes(systems, kinds, self.equipment if topic_routing else ()):
            self._sock.setsockopt(zmq.SUBSCRIBE, p)
        self._sock.connect(self.endpoint)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the connection; idempotent."""
        if not self._sock.closed:
            self._sock.close(linger=0)
            self._ctx.term()

    def __iter__(self):
        while True:
            ev = self.next_event()
            if ev is not None:
                yield ev

    def next_event(self, timeout=None):
        """The next event, waiting at most timeout seconds (None: for ever);
        None when the time is up."""
        while not self._pending:
            if timeout is not None:
                if not self._sock.poll(int(timeout * 1000)):
                    return None
            frames = self._sock.recv_multipart()
            self._process(frames)
            if timeout is not None and not self._pending:
                timeout = 0  # a message without events: do not wait again in full
        return self._pending.popleft()

    # -- decoding ------------------------------------------------------------

    def _process(self, frames):
        self.stats["messages"] += 1
        if len(frames) == 2 and frames[0] == _wire.REJECTED_TOPIC:
            try:
                rep = json.loads(frames[1])
                if not isinstance(rep, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                self._error("", "rejected report: %s" % e)
                return
            self.stats["rejected"] += 1
            self._pending.append(Event("rejected", topic=_wire.REJECTED_TOPIC.decode(), rejected=rep))
            return
        while len(frames) >= 3 and frames[-1][:4] == _wire.ORIGIN_MAGIC:
            frames = frames[:-1]  # an archive's origin frames (docs/wire.md)
        if len(frames) == 1:
            frames = [b"PLJ", frames[0]]  # logbook's single JSON frame
        t = _wire.parse_topic(frames[0])
        if t is None:
            self._error(frames[0].decode("latin1")[:64], "bad topic %r" % frames[0][:64])
            return
        system, kind, encoding, equipment = t
        topic = frames[0].decode("ascii")
        for payload in frames[1:]:
            # Whatever a payload holds, it becomes events or a decode_error:
            # a hostile sender must not end the iteration.
            try:
                d = _decode.decode_dict(encoding, payload)
                if kind == "P":
                    if "logbus" in d:
                        items = [_decode.sample_from_logbus(d)]
                    elif encoding == "J":
                        items = _decode.samples_from_dict(d)
                    else:
                        raise DecodeError("sample payload lacks the logbus field")
                else:
                    items = [_decode.record_from_dict(d)]
            except DecodeError as e:
                self._error(topic, str(e))
                continue
            except (RecursionError, MemoryError):
                self._error(topic, "payload nested too deep")
                continue
            except Exception as e:  # a value out of any range (a 400-digit time, say)
                self._error(topic, "payload unreadable: %s: %s" % (type(e).__name__, e))
                continue
            for x in items:
                if kind == "P":
                    self._sample(x, topic, system, equipment)
                else:
                    self._record(x, topic, system, equipment)

    def _error(self, topic, why):
        self.stats["decode_errors"] += 1
        self._pending.append(Event("decode_error", topic=topic, error=why))

    def _fill(self, x, topic, system, equipment):
        x.topic = topic
        if not x.system:
            x.system = system
        if not x.equipment:
            x.equipment = equipment

    def _record(self, r, topic, system, equipment):
        self._fill(r, topic, system, equipment)
        self.stats["records"] += 1
        if not self._sequence(r, topic):
            return
        if self.min_level is not None and r.levelno < self.min_level or self.equipment and r.equipment not in self.equipment:
            self.stats["filtered"] += 1
            return
        self._pending.append(Event("record", topic=topic, record=r))

    def _sample(self, s, topic, system, equipment):
        self._fill(s, topic, system, equipment)
        self.stats["samples"] += 1
        if not self._sequence(s, topic):
            return
        if self.equipment and s.equipment not in self.equipment:
            self.stats["filtered"] += 1
            return
        self._pending.append(Event("sample", topic=topic, sample=s))

    def _sequence(self, x, topic):
        """Gap and duplicate checking; False for a duplicate (dropped)."""
        if not x.stream or not x.seq:
            return True
        key = (x.stream, topic)
        st = self._streams.get(key)
        if st is None:
            if len(self._streams) >= self.max_streams:
                self._streams.popitem(last=False)
            self._streams[key] = _Stream(x.seq, x.host, x.pid)
            return True
        if x.seq == st.last + 1:
            st.last = x.seq
            return True
        if x.seq > st.last:
            missing = x.seq - st.last - 1
            self.stats["gaps"] += 1
            self.stats["missing"] += missing
            self._pending.append(Event("gap", topic=topic, gap={
                "stream": x.stream, "topic": topic, "host": x.host, "pid": x.pid, "missing": missing, "after": st.last}))
            st.holes.append((st.last + 1, x.seq - 1))
            if len(st.holes) > _MAX_HOLES:
                del st.holes[0]
            st.last = x.seq
            return True
        for i, (lo, hi) in enumerate(st.holes):
            if lo <= x.seq <= hi:
                parts = [(a, b) for a, b in ((lo, x.seq - 1), (x.seq + 1, hi)) if a <= b]
                st.holes[i:i + 1] = parts
                self.stats["late"] += 1
                return True
        self.stats["duplicates"] += 1
        return False


def _prefixes(systems, kinds, equipment):
    systems = [s.upper() for s in (systems or ())]
    kinds = [k.upper() for k in (kinds or ())]
    for s in systems:
        if s not in _wire.SYSTEMS:
            raise ValueError("logbus: system %r: want T, S or P" % s)
    for k in kinds:
        if k not in _wire.KINDS:
            raise ValueError("logbus: kind %r: want L or P" % k)
    for e in equipment:
        if not _wire.valid_name(e):
            raise ValueError("logbus: equipment %r: want 1-128 of [A-Za-z0-9._-]" % e)
    if not systems and not kinds and not equipment:
        return [b""]
    out = []
    for s in systems or _wire.SYSTEMS:
        if not kinds and not equipment:
            out.append(s.encode())
            continue
        for k in kinds or _wire.KINDS:
            if not equipment:
                out.append((s + k).encode())
                continue
            for enc in _wire.ENCODINGS:
                for e in sorted(equipment):
                    out.append(("%s%s%s/%s/" % (s, k, enc, e)).encode())
    out.append(_wire.NOTICE_PREFIX)
    return out
