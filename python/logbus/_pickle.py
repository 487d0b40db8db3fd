"""A restricted pickle reader: plain data only, nothing executed.

distlog clients send pickled dictionaries. pickle.loads would import and
call whatever the bytes name; this reader walks the opcodes
(pickletools.genops, which only parses) on a stack of its own and builds
dicts, lists, strings, numbers and bytes. Of the globals a pickle may
name, only datetime's value types (datetime, date, time, timedelta,
timezone) and the _codecs.encode form of bytes (protocol 2) are built;
any other object becomes a dict {"$class": "module.Name", "args": …,
"state": …} that says what it was. Persistent ids, the extension
registry and out-of-band buffers are refused. Mirrors the Go reader
(dialect.ReadPickle).
"""

import codecs
import datetime
import pickletools


class PickleError(ValueError):
    """The bytes are not a pickle this reader takes."""


class _Mark:
    pass


_MARK = _Mark()


class _Global:
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def qualname(self):
        return "%s.%s" % (self.module, self.name)


_ALLOWED = {
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
}

_MAX_OPS = 1_000_000
# Bounds of what a pickle builds, counted as if shared parts were copies
# (a memo can make a 200-byte pickle stand for a structure of 2^60 items):
# items in all, and nesting depth. Integers beyond _MAX_INT_BITS become
# their size (Python prints at most 4300 digits).
_MAX_ITEMS = 100_000
_MAX_DEPTH = 256
_MAX_INT_BITS = 4096


def _plain(args):
    """The arguments as a list (globals in them become their names when the
    result is materialized)."""
    return list(args)


def _call(g, args, kwargs=None):
    if isinstance(g, _Global) and g.name == "_reconstructor" and g.module in ("copy_reg", "copyreg") \
            and isinstance(args, tuple) and args:
        return _opaque(args[0], ())  # protocols 0 and 1: an object of class args[0]
    if not isinstance(g, _Global):
        return {"$class": "?", "args": _plain(args) if isinstance(args, tuple) else args}
    if (g.module, g.name) == ("_codecs", "encode") and isinstance(args, tuple) and len(args) == 2 \
            and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return codecs.encode(args[0], "latin1")
    if (g.module, g.name) in (("builtins", "bytearray"), ("__builtin__", "bytearray")) and isinstance(args, tuple) \
            and len(args) <= 1 and all(isinstance(a, (bytes, str)) for a in args):
        return bytes(args[0].encode("latin1") if args and isinstance(args[0], str) else (args[0] if args else b""))
    if (g.module, g.name) in (("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set")) \
            and isinstance(args, tuple) and len(args) <= 1 and (not args or isinstance(args[0], list)):
        return list(args[0]) if args else []
    cls = _ALLOWED.get((g.module, g.name))
    if cls is not None and isinstance(args, tuple) and not kwargs:
        plain = all(isinstance(a, (int, float, bytes, str, datetime.tzinfo, datetime.timedelta)) or a is None
                    for a in args)
        if plain:
            try:
                return cls(*args)
            except (TypeError, ValueError, OverflowError):
                pass
    out = {"$class": g.qualname(), "args": _plain(args) if isinstance(args, tuple) else args}
    if kwargs:
        out["kwargs"] = kwargs
    return out


def loads(data):
    """Reads one pickle (protocols 0-5) into plain data; raises PickleError.

    The result is a tree: parts the pickle shares (its memo) are copied,
    within _MAX_ITEMS items and _MAX_DEPTH levels; a structure that
    contains itself is refused."""
    try:
        return _materialize(_load(data))
    except RecursionError:
        raise PickleError("pickle: nested too deep") from None


def _load(data):
    stack, marks, memo = [], [], {}
    ops = 0

    def pop_mark():
        if not marks:
            raise PickleError("pickle: no mark")
        i = marks.pop()
        items = stack[i:]
        del stack[i:]
        return items

    try:
        for op, arg, pos in pickletools.genops(data):
            ops += 1
            if ops > _MAX_OPS:
                raise PickleError("pickle: too many opcodes")
            n = op.name
            if n in ("PROTO", "FRAME"):
                continue
            if n == "STOP":
                if len(stack) != 1:
                    raise PickleError("pickle: stack holds %d items at STOP" % len(stack))
                return stack[0]
            if n == "MARK":
                marks.append(len(stack))
            elif n in ("BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4", "BINFLOAT", "FLOAT",
                       "BINUNICODE", "BINUNICODE8", "SHORT_BINUNICODE", "UNICODE",
                       "BINBYTES", "BINBYTES8", "SHORT_BINBYTES"):
                if n == "INT" and isinstance(arg, bool):
                    stack.append(arg)
                else:
                    stack.append(arg)
            elif n in ("STRING", "BINSTRING", "SHORT_BINSTRING"):
                stack.append(arg if isinstance(arg, str) else bytes(arg).decode("latin1"))
            elif n == "BYTEARRAY8":
                stack.append(bytes(arg))
            elif n == "NONE":
                stack.append(None)
            elif n == "NEWTRUE":
                stack.append(True)
            elif n == "NEWFALSE":
                stack.append(False)
            elif n == "EMPTY_DICT":
                stack.append({})
            elif n in ("EMPTY_LIST", "EMPTY_SET"):
                stack.append([])
            elif n == "EMPTY_TUPLE":
                stack.append(())
            elif n in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(n[-1])
                if len(stack) < k:
                    raise PickleError("pickle: stack underflow")
                t = tuple(stack[-k:])
                del stack[-k:]
                stack.append(t)
            elif n == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif n in ("LIST", "FROZENSET"):
                stack.append(list(pop_mark()))
            elif n == "DICT":
                items = pop_mark()
                stack.append(_pairs({}, items))
            elif n == "APPEND":
                v = stack.pop()
                _target_list(stack).append(v)
            elif n in ("APPENDS", "ADDITEMS"):
                items = pop_mark()
                _target_list(stack).extend(items)
            elif n == "SETITEM":
                v, k = stack.pop(), stack.pop()
                _pairs(_target_dict(stack), [k, v])
            elif n == "SETITEMS":
                items = pop_mark()
                _pairs(_target_dict(stack), items)
            elif n in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif n == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif n in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise PickleError("pickle: memo %r not set" % (arg,))
                stack.append(memo[arg])
            elif n == "GLOBAL":
                module, _, name = arg.partition(" ")
                stack.append(_Global(module, name))
            elif n == "STACK_GLOBAL":
                name, module = stack.pop(), stack.pop()
                if not isinstance(name, str) or not isinstance(module, str):
                    raise PickleError("pickle: STACK_GLOBAL of non-strings")
                stack.append(_Global(module, name))
            elif n == "REDUCE":
                args, g = stack.pop(), stack.pop()
                stack.append(_call(g, args))
            elif n == "NEWOBJ":
                args, g = stack.pop(), stack.pop()
                stack.append(_opaque(g, args))
            elif n == "NEWOBJ_EX":
                kwargs, args, g = stack.pop(), stack.pop(), stack.pop()
                o = _opaque(g, args)
                o["kwargs"] = kwargs
                stack.append(o)
            elif n == "OBJ":
                items = pop_mark()
                if not items:
                    raise PickleError("pickle: OBJ without a class")
                stack.append(_opaque(items[0], tuple(items[1:])))
            elif n == "INST":
                module, _, name = arg.partition(" ")
                stack.append(_opaque(_Global(module, name), tuple(pop_mark())))
            elif n == "BUILD":
                state = stack.pop()
                obj = stack[-1]
                if isinstance(obj, dict) and "$class" in obj:
                    obj["state"] = state
                # Anything else (a datetime built already) keeps its value.
            elif n == "POP":
                if marks and marks[-1] == len(stack):
                    marks.pop()
                else:
                    stack.pop()
            elif n == "POP_MARK":
                pop_mark()
            elif n == "DUP":
                stack.append(stack[-1])
            else:
                # PERSID, BINPERSID, EXT1/2/4, NEXT_BUFFER, READONLY_BUFFER.
                raise PickleError("pickle: opcode %s refused" % n)
    except PickleError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, EOFError) as e:
        raise PickleError("pickle: %s" % e) from None
    raise PickleError("pickle: no STOP")


def _opaque(g, args):
    name = g.qualname() if isinstance(g, _Global) else "?"
    return {"$class": name, "args": _plain(args) if isinstance(args, tuple) else args}


def _target_list(stack):
    if not stack or not isinstance(stack[-1], list):
        raise PickleError("pickle: append to a non-list")
    return stack[-1]


def _target_dict(stack):
    if not stack or not isinstance(stack[-1], dict):
        raise PickleError("pickle: setitem on a non-dict")
    return stack[-1]


def _pairs(d, items):
    if len(items) % 2:
        raise PickleError("pickle: odd number of dict items")
    for i in range(0, len(items), 2):
        k = items[i]
        if isinstance(k, (list, dict, tuple)):
            k = "<%s key>" % type(k).__name__  # unhashable or nested: its kind (its text could be vast)
        elif isinstance(k, _Global):
            k = k.qualname()
        d[k] = items[i + 1]
    return d


def _materialize(root):
    """A copy of root as a tree of plain data, iteratively, within the
    bounds; globals become their names."""
    budget = [_MAX_ITEMS]
    active = set()  # ids of the containers being copied: a cycle

    def copy(v, depth):
        budget[0] -= 1
        if budget[0] < 0:
            raise PickleError("pickle: more than %d items" % _MAX_ITEMS)
        if depth > _MAX_DEPTH:
            raise PickleError("pickle: nested deeper than %d" % _MAX_DEPTH)
        if isinstance(v, _Global):
            return v.qualname()
        if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > _MAX_INT_BITS:
            return "<integer of %d bits>" % v.bit_length()
        if isinstance(v, (dict, list, tuple)):
            if id(v) in active:
                raise PickleError("pickle: a structure that contains itself")
            active.add(id(v))
            try:
                if isinstance(v, dict):
                    return {(copy(k, depth + 1) if isinstance(k, (_Global, int)) else k): copy(x, depth + 1)
                            for k, x in v.items()}
                out = [copy(x, depth + 1) for x in v]
                return tuple(out) if isinstance(v, tuple) else out
            finally:
                active.discard(id(v))
        return v

    return copy(root, 0)
