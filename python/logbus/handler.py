"""The logging handler: stdlib records to a logbus broker."""

import logging
import os
import threading
import traceback

from . import _wire
from .context import _scope_fields
from .publisher import Publisher

# LogRecord attributes that are not the caller's extras.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# Extras that are the record's envelope, as the lab wizard names them.
_ENVELOPE = {"equipment": "equipment", "equipment_id": "equipment", "project_short_id": "project",
             "project": "project", "run_kind": "run_kind", "run_id": "run_id", "hostname": "host"}

_default = None
_default_lock = threading.Lock()


def default_publisher():
    """The process's default publisher: the first Handler's, else one made
    from the environment ($LOGBUS_ENDPOINT, $LOGBUS_SYSTEM). logbus.sample()
    uses it."""
    global _default
    with _default_lock:
        if _default is None or _default.pid != os.getpid() or _default.closing:
            _default = _default._child() if _default is not None else Publisher()
        return _default


def _after_fork_in_child():
    global _default_lock
    _default_lock = threading.Lock()  # it may have been held by a thread the child does not have


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _set_default(pub):
    global _default
    with _default_lock:
        if _default is None or _default.pid != os.getpid() or _default.closing:
            _default = pub


class Handler(logging.Handler):
    """A logging.Handler that publishes records to a logbus broker.

    Usable from logging.config.dictConfig ({"class": "logbus.Handler",
    "endpoint": …, "equipment": …}). equipment, project, run_kind and run_id
    are defaults: logbus.scope() overrides them for a block, and a record's
    extras (equipment or equipment_id, project_short_id, run_kind, run_id,
    hostname) override both. Other extras become the record's attributes.
    equipment defaults to $LOGBUS_EQUIPMENT.

    The other keywords go to the Publisher (endpoint, system, host,
    queue_records, replay_bytes, flush_timeout, username, password). The
    handler never blocks: see Publisher. In a forked child it starts a
    publisher of the child's own.
    """

    def __init__(self, endpoint=None, *, equipment=None, project=None, run_kind=None, run_id=None,
                 level=logging.NOTSET, **publisher_options):
        super().__init__(level)
        self.defaults = {"equipment": equipment or os.environ.get("LOGBUS_EQUIPMENT") or None,
                         "project": project, "run_kind": run_kind, "run_id": run_id}
        # The publisher shares the defaults: logbus.sample() through it
        # files samples as this handler files records.
        self._pub = Publisher(endpoint, **self.defaults, **publisher_options)
        _set_default(self._pub)

    @property
    def publisher(self):
        """The Publisher this handler sends through (this process's)."""
        if self._pub.pid != os.getpid():
            self._pub = self._pub._child()
            _set_default(self._pub)
        return self._pub

    def emit(self, record):
        try:
            pub = self._pub
            if pub.pid != os.getpid():
                pub = self.publisher
            defaults = self.defaults
            scope = _scope_fields()
            if scope:
                env = dict(defaults)
                env.update(scope)
            else:
                env = defaults
            attrs = None
            host = pub.host
            for k, v in record.__dict__.items():  # in order: attributes keep it
                if k in _STANDARD:
                    continue
                field = _ENVELOPE.get(k)
                if field is not None and isinstance(v, (str, int)) and not isinstance(v, bool):
                    if env is defaults:
                        env = dict(defaults)
                    if field == "host":
                        host = str(v)
                    else:
                        env[field] = str(v)
                    continue
                if field is not None and v is None:
                    continue
                if attrs is None:
                    attrs = {}
                attrs[k] = v
            doc = {"logbus": 1, "time": record.created, "level": _wire.level_name(record.levelno),
                   "msg": record.getMessage(), "logger": record.name, "host": host, "pid": pub.pid,
                   "source": {"file": record.pathname, "line": record.lineno, "func": record.funcName}}
            equipment = env["equipment"]
            if equipment:
                doc["equipment"] = equipment
            project, run_kind, run_id = env["project"], env["run_kind"], env["run_id"]
            if project or run_kind or run_id:
                run = {}
                if project:
                    run["project"] = project
                if run_kind:
                    run["kind"] = run_kind
                if run_id:
                    run["id"] = run_id
                doc["run"] = run
            error = None
            if record.exc_info:
                if not record.exc_text:
                    record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
                error = record.exc_text
            elif record.exc_text:
                error = record.exc_text
            if record.stack_info:
                error = (error + "\n" if error else "") + record.stack_info
            if error:
                doc["error"] = error
            if attrs:
                doc["attrs"] = _wire.encode_attrs(attrs)
            pub._submit("L", equipment, doc)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def flush(self):
        """Waits until the queued records are handed to the connection (at
        most the publisher's flush_timeout)."""
        self.publisher.flush()

    def close(self):
        """Flushes (bounded by flush_timeout) and closes the publisher."""
        try:
            if self._pub.pid == os.getpid():
                self._pub.close()
        finally:
            super().close()
