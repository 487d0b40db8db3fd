"""The publisher: a bounded queue and a sender thread per process.

A Publisher never blocks its caller: records go into a bounded queue that
a background thread sends to the broker's ingest (ZeroMQ PUSH). What the
queue cannot take is dropped and counted: one warning on stderr when an
overflow episode starts, and, when it ends (the queue half empty again),
a WARN record per equipment with the count, filed with the records it
stands for.

Every record carries the publisher's stream id and a sequence number per
topic (docs/wire.md), so that whatever is lost downstream (a broker killed
with records in flight, a dashboard too slow) is reported by subscribers
and the file sink as a GAP with the exact count. After a lost connection
the newest messages sent (replay_bytes, 4 MiB by default) are sent again
first: a broker restart loses nothing, and copies already delivered are
dropped by the subscribers.

A process that forks (multiprocessing's default on Linux) gets its own
publisher in the child, with its own socket and stream, on its first
record, whether it logs through a Handler or a Publisher it inherited. At
interpreter exit, and at the end of a multiprocessing child (also one its
pool terminates), queued records get a bounded time (flush_timeout, 2 s by
default) to reach the broker; what does not is counted and said in one
line on stderr. A child that ends with os._exit must call
logging.shutdown() (or the handler's close) first.
"""

import atexit
import collections
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time
import weakref

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import _wire

# Bounds of one message: records of one topic sent together.
_BATCH_RECORDS = 64
_BATCH_BYTES = 32 << 10
# libzmq's own queue, in messages: small, so that what waits is in ours
# (bounded, counted) and what libzmq drops on a lost connection fits the
# replay window.
_SNDHWM = 100
# Equipments counted apart in an overflow episode's reports.
_MAX_REPORTS = 64
# A record's message and error are cut to this when its payload is over
# max_record_bytes.
_CUT_TEXT = 64 << 10

_ENDPOINT = re.compile(r"\A(tcp://[^\s:/]+:\d+|tcp://\[[0-9A-Fa-f:.]+\]:\d+|ipc://\S+|inproc://\S+)\Z")

_live = weakref.WeakSet()  # publishers of this process, for exit and fork
_live_lock = threading.Lock()
_forked = {}  # (id of a parent's publisher, pid) -> its stand-in in that child


class Stats:
    """A publisher's counters.

    sent: records handed to the connection; replayed: records sent again
    after a reconnect; dropped: records the full queue (or a failed or
    closed publisher) could not take; undelivered: records still queued
    when close gave up; in_flight: records sent on a connection that was
    lost at the end and not sent again (they may or may not have
    arrived); unencodable: records that could not be encoded at all.
    """

    __slots__ = ("sent", "replayed", "dropped", "undelivered", "in_flight", "unencodable")

    def __init__(self, sent=0, replayed=0, dropped=0, undelivered=0, in_flight=0, unencodable=0):
        self.sent, self.replayed, self.dropped, self.undelivered = sent, replayed, dropped, undelivered
        self.in_flight, self.unencodable = in_flight, unencodable

    def copy(self):
        return Stats(self.sent, self.replayed, self.dropped, self.undelivered, self.in_flight, self.unencodable)

    def __repr__(self):
        return "Stats(sent=%d, replayed=%d, dropped=%d, undelivered=%d, in_flight=%d, unencodable=%d)" % (
            self.sent, self.replayed, self.dropped, self.undelivered, self.in_flight, self.unencodable)


class Publisher:
    """Sends records and samples to a logbus broker.

    endpoint: the broker's ingest (default $LOGBUS_ENDPOINT, else
    tcp://127.0.0.1:5010; tcp://host:port, ipc://path or inproc://name).
    system: "T" test, "S" staging or "P" production (default
    $LOGBUS_SYSTEM, else "P"). host: the records' host (default the host
    name). equipment, project, run_kind, run_id: defaults of record() and
    sample(). queue_records: records waiting at most (10000); beyond,
    records are dropped and counted. replay_bytes: the replay window (4
    MiB; 0 turns it off). max_record_bytes: a record whose payload is
    larger has its message and error cut to 64 KiB each and its attributes
    replaced by the count of bytes cut (1 MiB; the broker refuses messages
    over 16 MiB). flush_timeout: seconds close waits for the queue to drain
    (2.0). username, password: ZMTP PLAIN login, when the broker requires
    one (default $LOGBUS_USER, $LOGBUS_PASSWORD). stderr: where the
    overflow warning and the undelivered count go (default sys.stderr).

    Raises ValueError for a bad system or endpoint. The connection is made
    in the background; a broker that is not up yet is dialled until it is.
    """

    def __init__(self, endpoint=None, *, system=None, host=None, equipment=None, project=None, run_kind=None,
                 run_id=None, queue_records=10000, replay_bytes=4 << 20, max_record_bytes=1 << 20,
                 flush_timeout=2.0, username=None, password=None, stderr=None):
        self.endpoint = endpoint or os.environ.get("LOGBUS_ENDPOINT") or _wire.DEFAULT_ENDPOINT
        self.system = (system or os.environ.get("LOGBUS_SYSTEM") or "P").upper()
        if self.system not in _wire.SYSTEMS:
            raise ValueError("logbus: system %r: want T, S or P" % (system,))
        if not _ENDPOINT.match(self.endpoint):
            raise ValueError("logbus: endpoint %r: want tcp://host:port, ipc://path or inproc://name" % (self.endpoint,))
        self.host = host or socket.gethostname()
        self.defaults = {"equipment": equipment, "project": project, "run_kind": run_kind, "run_id": run_id}
        self.queue_records = max(1, int(queue_records))
        self.replay_bytes = max(0, int(replay_bytes))
        self.max_record_bytes = max(4 * _CUT_TEXT, int(max_record_bytes))
        self.flush_timeout = float(flush_timeout)
        self._username = username if username is not None else os.environ.get("LOGBUS_USER")
        self._password = password if password is not None else os.environ.get("LOGBUS_PASSWORD")
        self._stderr = stderr
        self.pid = os.getpid()
        self.stream = int.from_bytes(os.urandom(8), "big") | 1

        self._cond = threading.Condition(threading.RLock())
        self._queue = collections.deque()
        self._waiting = False
        self._closing = False
        self._closed = False
        self._failed = None  # why the sender thread stopped, if it did
        self._deadline = None
        self._episode = collections.Counter()  # dropped since the overflow began, per equipment
        self._episode_start = 0.0
        self._pending_count = 0  # records the sender holds (taken from the queue, not yet sent)
        self._stats = Stats()
        # The connection is set up here, in the caller's thread, so that a
        # bad endpoint is an error now, not a silent sender later.
        self._ctx = zmq.Context()
        try:
            self._sock = self._ctx.socket(zmq.PUSH)
            self._sock.setsockopt(zmq.IMMEDIATE, 1)  # queue only to a live connection: the rest waits in ours
            self._sock.setsockopt(zmq.SNDHWM, _SNDHWM)
            self._sock.setsockopt(zmq.RECONNECT_IVL, 100)
            self._sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
            self._sock.setsockopt(zmq.LINGER, 0)
            self._sock.setsockopt(zmq.METADATA, ("%s:%x" % (_wire.STREAM_PROPERTY, self.stream)).encode())
            if self._username:
                self._sock.setsockopt(zmq.PLAIN_USERNAME, self._username.encode())
                self._sock.setsockopt(zmq.PLAIN_PASSWORD, (self._password or "").encode())
            self._monitor = self._sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
            self._sock.connect(self.endpoint)
        except zmq.ZMQError as e:
            self._ctx.destroy(linger=0)
            raise ValueError("logbus: endpoint %r: %s" % (self.endpoint, e)) from None
        self._thread = threading.Thread(target=self._run, name="logbus-publisher", daemon=True)
        self._thread.start()
        with _live_lock:
            _live.add(self)
        _in_child_hooks(self)

    # -- the caller's side -------------------------------------------------

    def _submit(self, kind, equipment, doc):
        """Queues one record or sample document; False when it was dropped."""
        if os.getpid() != self.pid:
            return self._in_this_process()._submit(kind, equipment, doc)
        say = None
        with self._cond:
            if self._closing or self._failed:
                self._stats.dropped += 1
                return False
            if len(self._queue) >= self.queue_records:
                self._stats.dropped += 1
                if not self._episode:
                    self._episode_start = time.time()
                    say = ("logbus: publisher queue full (%d records): records are logged faster than they reach %s "
                           "(the broker slow or unreachable, or a burst); dropping until half of it is sent, "
                           "the counts follow in WARN records" % (self.queue_records, self.endpoint))
                key = equipment if equipment in self._episode or len(self._episode) < _MAX_REPORTS else None
                self._episode[key] += 1
            else:
                self._queue.append((kind, equipment, doc))
                if self._waiting:
                    self._waiting = False
                    self._cond.notify_all()
                return True
        if say:
            self._say(say)
        return False

    def _in_this_process(self):
        """The stand-in of this publisher in a forked child (made once)."""
        key = (id(self), os.getpid())
        child = _forked.get(key)
        if child is None:
            child = _forked[key] = self._child()
        return child

    def record(self, level, msg, *, logger="", equipment=None, project=None, run_kind=None, run_id=None,
               error=None, attrs=None, when=None):
        """Publishes one record without the logging module.

        level: a Python level number (logging.WARNING) or a logbus level name
        ("WARN"). when: Unix seconds (default now). attrs: a dict of
        attributes. Returns False when the record was dropped (counted).
        Raises ValueError for a when that is not a finite number.
        """
        doc = {"logbus": 1, "time": _seconds(when), "msg": str(msg), "host": self.host, "pid": os.getpid(),
               "level": _wire.level_name(level) if isinstance(level, int) else str(level)}
        if logger:
            doc["logger"] = logger
        self._envelope(doc, equipment, project, run_kind, run_id)
        if error:
            doc["error"] = str(error)
        if attrs:
            doc["attrs"] = _wire.encode_attrs(dict(attrs))
        return self._submit("L", doc.get("equipment"), doc)

    def sample(self, name, value, unit="", *, equipment=None, project=None, run_kind=None, run_id=None,
               attrs=None, when=None):
        """Publishes one performance sample: name (e.g. "stage.temperature"),
        value (a number), unit (e.g. "degC"). Returns False when dropped.
        Raises ValueError for a value or when that is not a number."""
        doc = {"logbus": 1, "time": _seconds(when), "name": str(name),
               "value": _wire.encode_value(float(value)), "host": self.host, "pid": os.getpid()}
        if unit:
            doc["unit"] = str(unit)
        self._envelope(doc, equipment, project, run_kind, run_id)
        if attrs:
            doc["attrs"] = _wire.encode_attrs(dict(attrs))
        return self._submit("P", doc.get("equipment"), doc)

    def _envelope(self, doc, equipment, project, run_kind, run_id):
        d = self.defaults
        equipment = equipment or d["equipment"]
        project, run_kind, run_id = project or d["project"], run_kind or d["run_kind"], run_id or d["run_id"]
        if equipment:
            doc["equipment"] = str(equipment)
        if project or run_kind or run_id:
            run = {}
            if project:
                run["project"] = str(project)
            if run_kind:
                run["kind"] = str(run_kind)
            if run_id:
                run["id"] = str(run_id)
            doc["run"] = run

    @property
    def closing(self):
        """Whether close has been called."""
        return self._closing

    def stats(self):
        """A snapshot of the counters (Stats)."""
        with self._cond:
            return self._stats.copy()

    def flush(self, timeout=None):
        """Waits until everything queued has been handed to the connection,
        at most timeout seconds (default flush_timeout). Returns whether it
        was."""
        if os.getpid() != self.pid:
            return self._in_this_process().flush(timeout)
        deadline = time.monotonic() + (self.flush_timeout if timeout is None else float(timeout))
        with self._cond:
            while self._queue or self._pending_count:
                left = deadline - time.monotonic()
                if left <= 0 or self._failed or not self._thread.is_alive():
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    def close(self, timeout=None):
        """Sends what is queued, waiting at most timeout seconds (default
        flush_timeout), then closes the connection. Says on stderr how many
        records were not delivered, if any. Idempotent. Returns the Stats."""
        if os.getpid() != self.pid:
            return self._in_this_process().close(timeout)
        wait = self.flush_timeout if timeout is None else float(timeout)
        with self._cond:
            if self._closed:
                return self._stats.copy()
            if not self._closing:
                self._closing = True
                self._deadline = time.monotonic() + max(0.0, wait)
                self._cond.notify_all()
        self._thread.join(max(0.0, self._deadline - time.monotonic()) + 1.0)
        say = None
        with self._cond:
            if not self._closed:
                self._closed = True
                st = self._stats
                st.undelivered = len(self._queue) + self._pending_count
                self._queue.clear()
                lost = st.undelivered + st.dropped + st.unencodable
                if lost or st.in_flight:
                    why = []
                    if st.undelivered:
                        why.append("%d still queued when the %.1f s to flush were up" % (st.undelivered, wait))
                    if st.dropped:
                        why.append("%d dropped earlier (queue full%s)" % (
                            st.dropped, ", or the publisher failed: " + self._failed if self._failed else ""))
                    if st.unencodable:
                        why.append("%d could not be encoded" % st.unencodable)
                    if st.in_flight:
                        why.append("%d more sent on a connection lost at the end: they may not have arrived" % st.in_flight)
                    say = "logbus: %d records not delivered to %s (%s)" % (lost, self.endpoint, "; ".join(why))
        if say:
            self._say(say)
        with _live_lock:
            _live.discard(self)
        return self.stats()

    def _say(self, line):
        out = self._stderr or sys.stderr
        try:
            out.write(line + "\n")
            out.flush()
        except Exception:  # nobody to tell
            pass

    # -- the sender thread -------------------------------------------------

    def _run(self):
        try:
            self._send_loop()
        except Exception as e:  # a bug, or the connection's: say so, and stop taking records
            with self._cond:
                self._failed = "%s: %s" % (type(e).__name__, e)
                self._cond.notify_all()
            self._say("logbus: the publisher to %s failed (%s): records are no longer sent" % (self.endpoint, self._failed))
        finally:
            left = self._deadline - time.monotonic() if self._deadline is not None else 0
            self._monitor.close(linger=0)
            self._sock.close(linger=int(max(0, left) * 1000))
            self._ctx.term()

    def _send_loop(self):
        sock, monitor = self._sock, self._monitor
        poller = zmq.Poller()
        poller.register(monitor, zmq.POLLIN)
        seqs = {}
        replay = collections.deque()  # (frames, records, bytes), oldest first
        replay_size = 0
        resend = None  # the replay being sent again: a list, and how far
        state = {"connected": False, "ever": False, "on_conn": 0}  # on_conn: records sent on this connection

        def news():
            # The connection's news: a reconnect sends the replay window
            # before anything newer.
            nonlocal resend
            while True:
                try:
                    ev = recv_monitor_message(monitor, zmq.NOBLOCK)
                except zmq.Again:
                    return
                if ev["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    state["connected"] = True
                    if state["ever"] and replay:
                        resend = [list(replay), 0]
                    state["ever"] = True
                    state["on_conn"] = 0
                elif ev["event"] == zmq.EVENT_DISCONNECTED:
                    state["connected"] = False

        pending = None  # (frames, records) taken but not yet sent
        try:
            while True:
                news()
                if state["connected"] and resend is not None:
                    msgs, i = resend
                    while i < len(msgs):
                        try:
                            sock.send_multipart(msgs[i][0], zmq.NOBLOCK, copy=False)
                        except zmq.Again:
                            break
                        with self._cond:
                            self._stats.replayed += msgs[i][1]
                        state["on_conn"] += msgs[i][1]
                        i += 1
                    resend = None if i == len(msgs) else [msgs, i]
                if pending is None:
                    pending = self._take(seqs)
                    if pending is None:
                        return  # closing, and everything is sent (or the deadline passed)
                    if not pending[0]:
                        pending = None
                        continue  # a wake-up without work: look at the connection again
                news()  # a connection made since: its replay goes first
                if state["connected"] and resend is None:
                    try:
                        sock.send_multipart(pending[0], zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        pass
                    else:
                        frames, n = pending
                        size = sum(len(f) for f in frames)
                        state["on_conn"] += n
                        with self._cond:
                            self._stats.sent += n
                            self._pending_count = 0
                            self._cond.notify_all()  # flush() waits for this
                        if self.replay_bytes:
                            replay.append((frames, n, size))
                            replay_size += size
                            while replay_size > self.replay_bytes and len(replay) > 1:
                                replay_size -= replay.popleft()[2]
                        pending = None
                        continue
                if self._past_deadline():
                    return
                # Not connected, or libzmq's queue is full: wait for the
                # connection's news or room (100 ms at most).
                poller.register(sock, zmq.POLLOUT)
                poller.poll(100)
                poller.unregister(sock)
        finally:
            news()
            with self._cond:
                if pending is not None:
                    self._pending_count = pending[1]
                if not state["connected"] and state["ever"]:
                    # Sent on a connection lost at the end and not replayed:
                    # libzmq dropped what it had not written.
                    self._stats.in_flight = min(state["on_conn"], sum(r[1] for r in replay))
                self._cond.notify_all()

    def _past_deadline(self):
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _take(self, seqs):
        """Waits for records and takes the next batch (one topic), numbered.

        Returns ([topic, payload, …], records), ([], 0) after a quiet
        100 ms, or None when closing and nothing is left or the deadline
        passed.
        """
        with self._cond:
            while not self._queue and not self._episode_ended():
                if self._closing:
                    return None
                self._waiting = True
                self._cond.wait(0.1)
                if not self._queue and not self._episode_ended():
                    self._waiting = False
                    return [], 0
            if self._closing and self._past_deadline():
                return None
            if self._episode_ended():
                # The overflow is over: say how many were lost, per
                # equipment, filed with the records they stand for.
                batch = []
                for equipment, n in self._episode.items():
                    doc = {"logbus": 1, "time": time.time(), "level": "WARN", "logger": "logbus.publisher",
                           "msg": "publisher queue full: dropped %d records" % n, "host": self.host, "pid": self.pid,
                           "attrs": {"dropped": n, "since": _wire.iso_time(self._episode_start)}}
                    if equipment:
                        doc["equipment"] = equipment
                    batch.append(("L", equipment, doc))
                self._episode.clear()
                for item in reversed(batch[1:]):
                    self._queue.appendleft(item)  # past the bound: these few must not be dropped
                batch = batch[:1]
            else:
                kind, equipment, _ = self._queue[0]
                batch = []
                while self._queue and len(batch) < _BATCH_RECORDS:
                    k, e, _ = self._queue[0]
                    if k != kind or e != equipment:
                        break
                    batch.append(self._queue.popleft())
            self._pending_count = len(batch)
        kind, equipment, _ = batch[0]
        t = _wire.topic(self.system, kind, equipment)
        frames = [t]
        size = 0
        for i, (_, _, doc) in enumerate(batch):
            payload = self._encode(doc)
            if payload is None:
                continue
            seq = seqs.get(t, 0) + 1
            seqs[t] = seq
            payload = payload[:-1] + b',"stream":%d,"seq":%d}' % (self.stream, seq)
            frames.append(payload)
            size += len(payload)
            if size >= _BATCH_BYTES and i + 1 < len(batch):
                # The rest goes back to the front of the queue, unnumbered.
                with self._cond:
                    for item in reversed(batch[i + 1:]):
                        self._queue.appendleft(item)
                    self._pending_count = len(frames) - 1
                return frames, len(frames) - 1
        if len(frames) == 1:
            with self._cond:
                self._pending_count = 0
            return [], 0
        with self._cond:
            self._pending_count = len(frames) - 1
        return frames, len(frames) - 1

    def _episode_ended(self):
        """An overflow episode ends when the queue is half empty again."""
        return bool(self._episode) and len(self._queue) <= self.queue_records // 2

    def _encode(self, doc):
        """doc as JSON bytes, bounded by max_record_bytes; None (counted)
        when it cannot be encoded at all."""
        try:
            b = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "replace")
        except (TypeError, ValueError, RecursionError):
            with self._cond:
                self._stats.unencodable += 1
            return None
        if len(b) <= self.max_record_bytes:
            return b
        # Too big for the bus: keep the record, cut what is big, say how much.
        small = dict(doc)
        for k in ("msg", "error"):
            if isinstance(small.get(k), str) and len(small[k]) > _CUT_TEXT:
                small[k] = small[k][:_CUT_TEXT] + " …[truncated %d characters]" % (len(small[k]) - _CUT_TEXT)
        small.pop("attrs", None)
        small["attrs"] = {"logbus.truncated_bytes": len(b)}
        return json.dumps(small, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "replace")

    def _child(self):
        """A new publisher with this one's settings, for a forked child."""
        d = self.defaults
        return Publisher(self.endpoint, system=self.system, host=self.host, equipment=d["equipment"],
                         project=d["project"], run_kind=d["run_kind"], run_id=d["run_id"],
                         queue_records=self.queue_records, replay_bytes=self.replay_bytes,
                         max_record_bytes=self.max_record_bytes, flush_timeout=self.flush_timeout,
                         username=self._username, password=self._password, stderr=self._stderr)


def _seconds(when):
    """Unix seconds from when (None: now); ValueError unless a finite number."""
    if when is None:
        return time.time()
    t = float(when)
    if not math.isfinite(t):
        raise ValueError("logbus: time %r is not a finite number of seconds" % (when,))
    return t


# -- process life: exit, fork, multiprocessing children ----------------------

def _live_here():
    # No lock: a signal handler may run while this thread holds it.
    try:
        return [p for p in list(_live) if p.pid == os.getpid()]
    except RuntimeError:  # the set changed while being copied: once more
        return [p for p in list(_live) if p.pid == os.getpid()]


def _close_all():
    for p in _live_here():
        p.close()


atexit.register(_close_all)


def _after_fork_in_child():
    # The parent's publishers belong to the parent: their thread is gone
    # here and their locks may be held. The child makes its own on its first
    # record (Handler.emit and Publisher._submit notice the pid change).
    global _live, _live_lock, _forked, _hooked
    _live = weakref.WeakSet()
    _live_lock = threading.Lock()
    _forked = {}
    _hooked = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

_hooked = False


def _in_child_hooks(pub):
    """In a multiprocessing child, deliver queued records at its end too.

    A pool's workers end with os._exit, after multiprocessing's own
    finalizers but without atexit, and a pool that is terminated (the end
    of `with Pool() as p:`) sends them SIGTERM. So: a finalizer, and, when
    SIGTERM has no handler of the program's own, one that flushes (1 s at
    most) and then ends the process as SIGTERM would have.
    """
    global _hooked
    mp = sys.modules.get("multiprocessing")
    if _hooked or mp is None or mp.parent_process() is None:
        return
    _hooked = True
    import multiprocessing.util as mputil
    mputil.Finalize(None, _close_all, exitpriority=100)
    if not hasattr(signal, "SIGTERM") or os.name == "nt" or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def _on_sigterm(signum, frame):
    # The main thread may have been stopped anywhere, holding any lock: so
    # no lock is taken and no thread started here. The senders are told to
    # finish (plain attribute writes they read within 100 ms), waited for a
    # second at most, then the process ends as SIGTERM would have ended it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    deadline = time.monotonic() + 1.0
    pubs = _live_here()
    for p in pubs:
        if p._deadline is None:
            p._deadline = deadline
        p._closing = True
    for p in pubs:
        p._thread.join(max(0.0, deadline - time.monotonic()))
    os.kill(os.getpid(), signal.SIGTERM)
