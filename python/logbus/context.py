"""The run context: which equipment and run the records of a block belong to.

    with logbus.scope(equipment="scope-3", run_id="r-42"):
        log.info("calibrating")       # filed under scope-3, run r-42

Scopes nest (an inner one overrides what it names and keeps the rest) and
follow contextvars, so they are per thread and per asyncio task, like the
lab wizard's run context. Precedence for each field: a record's own
extras, then the innermost scope, then the handler's defaults.
"""

import contextlib
import contextvars

_FIELDS = ("equipment", "project", "run_kind", "run_id")
_current = contextvars.ContextVar("logbus_scope", default=None)


def current_scope():
    """The fields set by the enclosing scopes, as a dict (empty outside any)."""
    return dict(_current.get() or {})


@contextlib.contextmanager
def scope(equipment=None, project=None, run_kind=None, run_id=None):
    """Sets equipment and run context for the records logged inside the block.

    Fields left None keep the enclosing scope's value. Yields the fields now in effect.
    """
    outer = _current.get() or {}
    inner = dict(outer)
    for k, v in zip(_FIELDS, (equipment, project, run_kind, run_id)):
        if v is not None:
            inner[k] = str(v)
    token = _current.set(inner)
    try:
        yield dict(inner)
    finally:
        _current.reset(token)


def _scope_fields():
    # The hot path: the dict itself (never mutated once set).
    return _current.get()
