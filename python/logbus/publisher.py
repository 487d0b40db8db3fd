"""The publisher: a bounded queue and a sender thread per process.

A Publisher never blocks its caller: records go into a bounded queue that
a background thread sends to the broker's ingest (ZeroMQ PUSH). What the
queue cannot take is dropped and counted: one warning on stderr when an
overflow episode starts, and a WARN record with the count when it ends.

Every record carries the publisher's stream id and a sequence number per
topic (docs/wire.md), so that whatever is lost downstream (a broker killed
with records in flight, a dashboard too slow) is reported by subscribers
and the file sink as a GAP with the exact count. After a lost connection
the newest messages sent (replay_bytes, 4 MiB by default) are sent again
first: a broker restart loses nothing, and copies already delivered are
dropped by the subscribers.

A process that forks (multiprocessing's default on Linux) gets its own
publisher in the child, with its own socket and stream, on its first
record. At interpreter exit, and at the end of a multiprocessing child
(also one its pool terminates), queued records get a bounded time
(flush_timeout, 2 s by default) to reach the broker; what does not is
counted and said in one line on stderr.
"""

import atexit
import collections
import json
import os
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

_live = weakref.WeakSet()  # publishers of this process, for exit and fork
_live_lock = threading.Lock()


class Stats:
    """A publisher's counters.

    sent: records handed to the connection; replayed: records sent again
    after a reconnect; dropped: records the full queue could not take;
    undelivered: records still queued when close gave up.
    """

    __slots__ = ("sent", "replayed", "dropped", "undelivered")

    def __init__(self, sent=0, replayed=0, dropped=0, undelivered=0):
        self.sent, self.replayed, self.dropped, self.undelivered = sent, replayed, dropped, undelivered

    def __repr__(self):
        return "Stats(sent=%d, replayed=%d, dropped=%d, undelivered=%d)" % (
            self.sent, self.replayed, self.dropped, self.undelivered)


class Publisher:
    """Sends records and samples to a logbus broker.

    endpoint: the broker's ingest (default $LOGBUS_ENDPOINT, else
    tcp://127.0.0.1:5010). system: "T" test, "S" staging or "P" production
    (default $LOGBUS_SYSTEM, else "P"). host: the records' host (default the
    host name). queue_records: records waiting at most (10000); beyond,
    records are dropped and counted. replay_bytes: the replay window (4 MiB;
    0 turns it off). flush_timeout: seconds close waits for the queue to
    drain (2.0). username, password: ZMTP PLAIN login, when the broker
    requires one (default $LOGBUS_USER, $LOGBUS_PASSWORD). stderr: where the
    overflow warning and the undelivered count go (default sys.stderr).

    Raises ValueError for a bad system. The connection is made in the
    background; a broker that is not up yet is dialled until it is.
    """

    def __init__(self, endpoint=None, *, system=None, host=None, queue_records=10000,
                 replay_bytes=4 << 20, flush_timeout=2.0, username=None, password=None, stderr=None):
        self.endpoint = endpoint or os.environ.get("LOGBUS_ENDPOINT") or _wire.DEFAULT_ENDPOINT
        self.system = (system or os.environ.get("LOGBUS_SYSTEM") or "P").upper()
        if self.system not in _wire.SYSTEMS:
            raise ValueError("logbus: system %r: want T, S or P" % (system,))
        self.host = host or socket.gethostname()
        self.queue_records = max(1, int(queue_records))
        self.replay_bytes = max(0, int(replay_bytes))
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
        self._deadline = None
        self._episode = 0  # records dropped since the queue last had room
        self._episode_start = 0.0
        self._pending_count = 0  # records the sender holds (taken from the queue, not yet sent)
        self._stats = Stats()
        self._thread = threading.Thread(target=self._run, name="logbus-publisher", daemon=True)
        self._thread.start()
        with _live_lock:
            _live.add(self)
        _in_child_hooks(self)

    # -- the caller's side -------------------------------------------------

    def _submit(self, kind, equipment, doc):
        """Queues one record or sample document; False when it was dropped."""
        with self._cond:
            if self._closing:
                self._stats.dropped += 1
                return False
            if len(self._queue) >= self.queue_records:
                self._stats.dropped += 1
                if self._episode == 0:
                    self._episode_start = time.time()
                    self._say("logbus: publisher queue full (%d records; broker %s slow or unreachable): "
                              "dropping records, the count follows in a WARN record" % (self.queue_records, self.endpoint))
                self._episode += 1
                return False
            self._queue.append((kind, equipment, doc))
            if self._waiting:
                self._waiting = False
                self._cond.notify()
        return True

    def record(self, level, msg, *, logger="", equipment=None, project=None, run_kind=None, run_id=None,
               error=None, attrs=None, when=None):
        """Publishes one record without the logging module.

        level: a Python level number (logging.WARNING) or a logbus level name
        ("WARN"). when: Unix seconds (default now). attrs: a dict of
        attributes. Returns False when the queue was full (counted).
        """
        doc = {"logbus": 1, "time": time.time() if when is None else when,
               "level": _wire.level_name(level) if isinstance(level, int) else str(level),
               "msg": str(msg), "host": self.host, "pid": self.pid}
        if logger:
            doc["logger"] = logger
        _envelope(doc, equipment, project, run_kind, run_id)
        if error:
            doc["error"] = str(error)
        if attrs:
            doc["attrs"] = _wire.encode_value(dict(attrs))
        return self._submit("L", doc.get("equipment"), doc)

    def sample(self, name, value, unit="", *, equipment=None, project=None, run_kind=None, run_id=None,
               attrs=None, when=None):
        """Publishes one performance sample: name (e.g. "stage.temperature"),
        value (a number), unit (e.g. "degC"). Returns False when dropped."""
        doc = {"logbus": 1, "time": time.time() if when is None else when, "name": str(name),
               "value": _wire.encode_value(float(value)), "host": self.host, "pid": self.pid}
        if unit:
            doc["unit"] = str(unit)
        _envelope(doc, equipment, project, run_kind, run_id)
        if attrs:
            doc["attrs"] = _wire.encode_value(dict(attrs))
        return self._submit("P", doc.get("equipment"), doc)

    @property
    def closing(self):
        """Whether close has been called."""
        return self._closing

    def stats(self):
        """A snapshot of the counters (Stats)."""
        with self._cond:
            s = self._stats
            return Stats(s.sent, s.replayed, s.dropped, s.undelivered)

    def close(self, timeout=None):
        """Sends what is queued, waiting at most timeout seconds (default
        flush_timeout), then closes the connection. Says on stderr how many
        records were not delivered, if any. Idempotent. Returns the Stats."""
        with self._cond:
            if not self._closed and os.getpid() == self.pid:
                self._closing = True
                wait = self.flush_timeout if timeout is None else float(timeout)
                self._deadline = time.monotonic() + max(0.0, wait)
                self._cond.notify_all()
        if self._closed or os.getpid() != self.pid:
            return self.stats()
        self._thread.join(max(0.0, self._deadline - time.monotonic()) + 1.0)
        with self._cond:
            if not self._closed:
                self._closed = True
                self._stats.undelivered = len(self._queue) + self._pending_count
                self._queue.clear()
                lost = self._stats.undelivered + self._stats.dropped
                if lost:
                    why = []
                    if self._stats.undelivered:
                        why.append("%d still queued when the %.1f s to flush were up" % (
                            self._stats.undelivered, self.flush_timeout if timeout is None else float(timeout)))
                    if self._stats.dropped:
                        why.append("%d dropped earlier, the queue being full" % self._stats.dropped)
                    self._say("logbus: %d records not delivered to %s (%s)" % (lost, self.endpoint, "; ".join(why)))
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
        ctx = zmq.Context()
        sock = ctx.socket(zmq.PUSH)
        sock.setsockopt(zmq.IMMEDIATE, 1)  # queue only to a live connection: the rest waits in ours
        sock.setsockopt(zmq.SNDHWM, _SNDHWM)
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.setsockopt(zmq.METADATA, ("%s:%x" % (_wire.STREAM_PROPERTY, self.stream)).encode())
        if self._username:
            sock.setsockopt(zmq.PLAIN_USERNAME, self._username.encode())
            sock.setsockopt(zmq.PLAIN_PASSWORD, (self._password or "").encode())
        monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
        sock.connect(self.endpoint)
        poller = zmq.Poller()
        poller.register(monitor, zmq.POLLIN)
        seqs = {}
        replay = collections.deque()  # (frames, records, bytes), oldest first
        replay_size = 0
        resend = None  # the replay being sent again: a list, and how far
        connected = ever = False
        pending = None  # (frames, records) taken but not yet sent
        try:
            while True:
                # The connection's news first: a reconnect sends the replay
                # window before anything newer.
                while True:
                    try:
                        ev = recv_monitor_message(monitor, zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    if ev["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        connected = True
                        if ever and replay:
                            resend = [list(replay), 0]
                        ever = True
                    elif ev["event"] == zmq.EVENT_DISCONNECTED:
                        connected = False
                if connected and resend is not None:
                    msgs, i = resend
                    while i < len(msgs):
                        try:
                            sock.send_multipart(msgs[i][0], zmq.NOBLOCK, copy=False)
                        except zmq.Again:
                            break
                        with self._cond:
                            self._stats.replayed += msgs[i][1]
                        i += 1
                    resend = None if i == len(msgs) else [msgs, i]
                if pending is None:
                    pending = self._take(seqs)
                    if pending is None:
                        return  # closing, and everything is sent (or the deadline passed)
                    if not pending[0]:
                        pending = None
                        continue  # a wake-up without work: look at the connection again
                if connected and resend is None:
                    try:
                        sock.send_multipart(pending[0], zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        pass
                    else:
                        frames, n = pending
                        size = sum(len(f) for f in frames)
                        with self._cond:
                            self._stats.sent += n
                            self._pending_count = 0
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
            with self._cond:
                if pending is not None:
                    self._pending_count = pending[1]
            left = self._deadline - time.monotonic() if self._deadline is not None else 0
            monitor.close(linger=0)
            sock.close(linger=int(max(0, left) * 1000))
            ctx.term()

    def _past_deadline(self):
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _take(self, seqs):
        """Waits for records and takes the next batch (one topic), numbered.

        Returns ([topic, payload, …], records), ([], 0) after a quiet
        100 ms, or None when closing and nothing is left or the deadline
        passed.
        """
        with self._cond:
            while not self._queue and self._episode == 0:
                if self._closing:
                    return None
                self._waiting = True
                self._cond.wait(0.1)
                if not self._queue and self._episode == 0:
                    self._waiting = False
                    return [], 0
            if self._closing and self._past_deadline():
                return None
            batch = []
            if self._episode:
                # The overflow episode is over (the queue had room for the
                # sender to take this): say how many were lost.
                batch.append(("L", None, {
                    "logbus": 1, "time": time.time(), "level": "WARN", "logger": "logbus.publisher",
                    "msg": "publisher queue full: dropped %d records" % self._episode,
                    "host": self.host, "pid": self.pid,
                    "attrs": {"dropped": self._episode, "since": _wire.iso_time(self._episode_start)}}))
                self._episode = 0
            else:
                kind, equipment, _ = self._queue[0]
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
            seq = seqs.get(t, 0) + 1
            seqs[t] = seq
            doc["stream"] = self.stream
            doc["seq"] = seq
            payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "surrogatepass")
            frames.append(payload)
            size += len(payload)
            if size >= _BATCH_BYTES and i + 1 < len(batch):
                # The rest goes back to the front of the queue, unnumbered.
                with self._cond:
                    for item in reversed(batch[i + 1:]):
                        self._queue.appendleft(item)
                    self._pending_count = i + 1
                return frames, i + 1
        return frames, len(batch)

    def _child(self):
        """A new publisher with this one's settings, for a forked child."""
        return Publisher(self.endpoint, system=self.system, host=self.host, queue_records=self.queue_records,
                         replay_bytes=self.replay_bytes, flush_timeout=self.flush_timeout,
                         username=self._username, password=self._password, stderr=self._stderr)


def _envelope(doc, equipment, project, run_kind, run_id):
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


# -- process life: exit, fork, multiprocessing children ----------------------

def _close_all():
    with _live_lock:
        pubs = [p for p in _live if p.pid == os.getpid()]
    for p in pubs:
        p.close()


atexit.register(_close_all)


def _after_fork_in_child():
    # The parent's publishers belong to the parent: their thread is gone
    # here and their locks may be held. The child makes its own on its first
    # record (Handler.emit notices the pid change).
    global _live, _live_lock
    _live = weakref.WeakSet()
    _live_lock = threading.Lock()
    global _hooked
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
    with _live_lock:
        pubs = [p for p in _live if p.pid == os.getpid()]
    for p in pubs:
        p.close(timeout=min(1.0, p.flush_timeout))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
