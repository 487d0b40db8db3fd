"""logbus for Python: publish log records and samples, and read them back.

    import logging, logbus
    logging.getLogger().addHandler(logbus.Handler(equipment="scope-3"))
    with logbus.scope(run_id="r-42"):
        logging.getLogger("stage").warning("moved", extra={"x_um": 1250.5})
    logbus.sample("stage.temperature", 21.4, "degC", equipment="scope-3")

    for ev in logbus.Subscriber(equipment=["scope-3"]):
        print(ev)

The wire format is docs/wire.md of the repository; the Go side is the
reference implementation.
"""

import os

from .context import current_scope, scope
from .handler import Handler, default_publisher
from .publisher import Publisher, Stats
from .subscriber import Event, Record, Sample, Subscriber

__all__ = ["Handler", "Publisher", "Stats", "Subscriber", "Event", "Record", "Sample", "scope", "current_scope",
           "sample", "default_publisher"]
__version__ = "0.1.0"


def sample(name, value, unit="", **kwargs):
    """Publishes a performance sample through the default publisher (see
    Publisher.sample for the keywords). The enclosing scope's equipment and
    run apply unless given, else $LOGBUS_EQUIPMENT."""
    fields = current_scope()
    for k in ("equipment", "project", "run_kind", "run_id"):
        if kwargs.get(k) is None and fields.get(k):
            kwargs[k] = fields[k]
    if kwargs.get("equipment") is None and os.environ.get("LOGBUS_EQUIPMENT"):
        kwargs["equipment"] = os.environ["LOGBUS_EQUIPMENT"]
    return default_publisher().sample(name, value, unit, **kwargs)
