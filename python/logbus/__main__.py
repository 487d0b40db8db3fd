"""python -m logbus tail: follow a broker's fan-out, as `logbus tail` does."""

import argparse
import datetime
import json
import sys

from .subscriber import Subscriber


def _when(t):
    if t is None:
        return "-"
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def _line(ev):
    if ev.kind == "record":
        r = ev.record
        head = [_when(r.time), r.level_name]
        if r.system and r.system != "P":
            head.append("[sys:%s]" % r.system)
        if r.host:
            head.append("[host:%s]" % r.host)
        if r.equipment:
            head.append("[equip:%s]" % r.equipment)
        text = " ".join(head) + " " + (r.logger + ": " if r.logger else "") + json.dumps(r.msg, ensure_ascii=False)[1:-1]
        for k, v in r.attrs.items():
            text += " %s=%s" % (k, json.dumps(v, ensure_ascii=False, default=str))
        if r.error:
            text += "\n    " + r.error.rstrip("\n").replace("\n", "\n    ")
        return text
    if ev.kind == "sample":
        s = ev.sample
        head = [_when(s.time), "SAMPLE"]
        if s.system and s.system != "P":
            head.append("[sys:%s]" % s.system)
        if s.host:
            head.append("[host:%s]" % s.host)
        if s.equipment:
            head.append("[equip:%s]" % s.equipment)
        value = "NaN" if s.value != s.value else ("%g" % s.value if s.value == s.value and abs(s.value) != float("inf") else ("+Inf" if s.value > 0 else "-Inf"))
        return "%s %s=%s%s" % (" ".join(head), s.name, value, " " + s.unit if s.unit else "")
    if ev.kind == "gap":
        g = ev.gap
        return "GAP stream=%016x topic=%s host=%s pid=%d missing=%d after=%d" % (
            g["stream"], g["topic"], g["host"], g["pid"], g["missing"], g["after"])
    if ev.kind == "rejected":
        r = ev.rejected
        return "%s peer=%s reason=%s count=%s preview=%s" % (
            "REJECTED-SUMMARY" if r.get("summary") else "REJECTED", r.get("peer"), r.get("reason"), r.get("count"),
            r.get("preview"))
    return "DECODE-ERROR topic=%s %s" % (ev.topic, ev.error)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m logbus", description="logbus for Python")
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("tail", help="follow a broker's fan-out")
    t.add_argument("--connect", default=None, help="fan-out endpoint (default $LOGBUS_FANOUT or tcp://127.0.0.1:5011)")
    t.add_argument("--system", action="append", help="T, S or P (repeatable)")
    t.add_argument("--kind", action="append", help="L logs or P samples (repeatable)")
    t.add_argument("--equipment", action="append", help="equipment id (repeatable)")
    t.add_argument("--level", default=None, help="minimum level of records shown (e.g. WARN)")
    t.add_argument("--count", type=int, default=0, help="stop after this many records and samples")
    t.add_argument("--timeout", type=float, default=None, help="stop after this many seconds without an event (idle time)")
    a = ap.parse_args(argv)
    try:
        s = Subscriber(a.connect, systems=a.system, kinds=a.kind, equipment=a.equipment, min_level=a.level)
    except ValueError as e:
        print("python -m logbus tail: %s" % e, file=sys.stderr)
        return 2
    shown = 0
    try:
        with s:
            while not a.count or shown < a.count:
                ev = s.next_event(a.timeout)
                if ev is None:
                    break
                print(_line(ev), flush=True)
                if ev.kind in ("record", "sample"):
                    shown += 1
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
