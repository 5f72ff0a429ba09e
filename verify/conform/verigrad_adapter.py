#!/usr/bin/env python3
"""verigrad's Python adapter: speaks the conform protocol (docs/conform.md, version 1) for a
micrograd-style `Value` class in a single file, so that `verigrad conform --python FILE[:CLASS]`
can check it against LibTorch.

    python3 verigrad_adapter.py ENGINE.py [CLASS]

Needs nothing but python3. The engine file is loaded without running its top-level code: it is
parsed with `ast`, and only imports, function and class definitions, docstrings and simple constant
assignments (`EPS = 1e-8`, `Scalar = Value`) are executed, each on its own, so that a failing import
(`from graphviz import Digraph` without graphviz) is skipped and reported rather than fatal. Training
loops, prints, plots and `if __name__ == "__main__":` blocks are left out and counted in a note.

The engine's prints never reach the protocol: during a case `sys.stdout` is a buffer whose text is
sent with the reply, and file descriptor 1 itself points at stderr, so even os.write(1, ...) is safe.
"""

import ast
import inspect
import io
import json
import math
import numbers
import operator
import os
import sys
import traceback
import types

PROTOCOL = 1
MAX_PRINTED = 4096  # characters of a case's printed text sent with the reply

BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "pow_const": operator.pow,
}
UNARY_METHODS = ("relu", "tanh", "exp", "log", "sigmoid")
DUNDER = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__",
          "pow_const": "__pow__", "neg": "__neg__"}
REFLECTED = {"add": "__radd__", "sub": "__rsub__", "mul": "__rmul__", "div": "__rtruediv__", "pow": "__rpow__"}
ORDER = ("add", "sub", "mul", "div", "neg", "pow_const", "pow", "relu", "tanh", "exp", "log", "sigmoid", "abs")


# ---- loading the engine without running it ------------------------------------------------------

def constant(node):
    """Literals, containers of them, and arithmetic on them: nothing that runs user code."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or constant(k) for k in node.keys) and all(constant(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return constant(node.operand)
    if isinstance(node, ast.BinOp):
        return constant(node.left) and constant(node.right)
    return False


def simple_value(node):
    """A constant, or another name for something defined (Scalar = Value, PI = math.pi)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) or constant(node)


def plain_targets(targets):
    """Assignments to names only: `x.label = 'x'` would run code on objects the file never made."""
    def plain(t):
        return isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(plain(e) for e in t.elts))
    return all(plain(t) for t in targets)


def kept(stmt):
    """Top-level statements that define things without doing anything."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return True  # a docstring
    if isinstance(stmt, ast.Assign):
        return plain_targets(stmt.targets) and simple_value(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return plain_targets([stmt.target]) and (stmt.value is None or simple_value(stmt.value))
    if isinstance(stmt, ast.Try):  # try: import numpy / except ImportError: ...
        return all(kept(s) for s in stmt.body + stmt.orelse + stmt.finalbody) and all(
            kept(s) for h in stmt.handlers for s in h.body)
    if isinstance(stmt, ast.Pass):
        return True
    return False


def load_engine(path, class_name):
    """The class, the loaded module's notes, or raise with a message for the handshake."""
    with open(path, "rb") as f:
        source = f.read()
    tree = ast.parse(source, filename=path)
    flags = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__import__("__future__"), alias.name, None)
                if feature is not None:
                    flags |= feature.compiler_flag
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the engine's own modules import as they do for its author
    module = types.ModuleType("verigrad_engine")
    module.__file__ = os.path.abspath(path)
    sys.modules["verigrad_engine"] = module
    notes, skipped = [], []
    for stmt in tree.body:
        if not kept(stmt):
            skipped.append(stmt.lineno)
            continue
        code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec", flags=flags, dont_inherit=True)
        try:
            with Captured():
                exec(code, module.__dict__)
        except Exception as e:  # noqa: BLE001 - a failing statement is reported, not fatal
            what = "import" if isinstance(stmt, (ast.Import, ast.ImportFrom)) else "statement"
            notes.append("line %d: %s skipped: %s: %s" % (stmt.lineno, what, type(e).__name__, e))
    skipped = sorted(set(skipped))
    if skipped:
        notes.append("%d top-level statement%s not run (line%s %s): only imports, definitions and constants "
                     "are loaded, so training code and prints at the bottom of the file do not run"
                     % (len(skipped), "" if len(skipped) == 1 else "s", "" if len(skipped) == 1 else "s",
                        line_ranges(skipped)))
    cls = module.__dict__.get(class_name)
    if not isinstance(cls, type):
        classes = sorted(k for k, v in module.__dict__.items() if isinstance(v, type) and v.__module__ == module.__name__)
        raise LookupError("no class %r in %s (classes there: %s)" % (class_name, path, ", ".join(classes) or "none"))
    return cls, notes


def line_ranges(lines):
    ranges, start, prev = [], lines[0], lines[0]
    for n in lines[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        ranges.append(str(start) if start == prev else "%d-%d" % (start, prev))
        if n is not None:
            start = prev = n
    return ", ".join(ranges[:8]) + (", ..." if len(ranges) > 8 else "")


class Captured:
    """sys.stdout redirected to a buffer while engine code runs."""

    def __enter__(self):
        self.saved = sys.stdout
        self.buffer = io.StringIO()
        sys.stdout = self.buffer
        return self

    def __exit__(self, *exc):
        sys.stdout = self.saved
        return False

    def text(self):
        return self.buffer.getvalue()


# ---- the engine, as the protocol sees it ------------------------------------------------------

class Engine:
    def __init__(self, cls, notes):
        self.cls = cls
        self.notes = notes
        self.make = self._constructor()

    def _constructor(self):
        """Value(x), filling the other parameters micrograd-style constructors insist on."""
        cls = self.cls
        try:
            params = list(inspect.signature(cls).parameters.values())[1:]
        except (TypeError, ValueError):
            params = []
        extra = {}
        for p in params:
            if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            name = p.name.lstrip("_")
            extra[p.name] = () if name in ("children", "prev", "parents") else "" if name in ("op", "label", "name") else None
        if not extra:
            return cls
        return lambda x: cls(x, **extra)

    def check(self):
        """The class must make leaves with data and grad, and have backward()."""
        v = self.make(0.5)
        for attribute in ("data", "grad"):
            if not hasattr(v, attribute):
                raise LookupError("%s(0.5) has no .%s attribute" % (self.cls.__name__, attribute))
        if not callable(getattr(v, "backward", None)):
            raise LookupError("class %s has no backward() method" % self.cls.__name__)

    def hello(self):
        cls = self.cls
        ops, left, unsupported = [], [], {}
        for op in ORDER:
            reason = self._missing(op)
            if reason:
                unsupported[op] = reason
            else:
                ops.append(op)
                if op in REFLECTED and hasattr(cls, REFLECTED[op]):
                    left.append(op)
        if "div" in unsupported and hasattr(cls, "__div__"):
            unsupported["div"] = "defines __div__ only, which Python 3 never calls for `/`: rename it __truediv__"
        return {"type": "hello", "protocol": PROTOCOL, "engine": "%s:%s" % (os.path.basename(SOURCE), cls.__name__),
                "ops": ops, "constant_left": left, "unsupported": unsupported, "notes": self.notes,
                "intermediates": True}

    def _missing(self, op):
        """Why the class cannot do op, or None. A method that exists but raises is a finding, not this."""
        cls = self.cls
        if op in DUNDER:
            if not callable(getattr(cls, DUNDER[op], None)):
                return "the class has no %s" % DUNDER[op]
        elif op == "abs":
            if not callable(getattr(cls, "__abs__", None)) and not callable(getattr(cls, "abs", None)):
                return "the class has neither __abs__ nor abs()"
        elif not callable(getattr(cls, op, None)):
            return "the class has no %s() method" % op
        if op == "pow":  # Value ** Value: many engines take only a number exponent
            try:
                with Captured():
                    result = self.make(2.0) ** self.make(3.0)
            except (TypeError, AssertionError, NotImplementedError) as e:
                return "Value ** Value raises %s: %s" % (type(e).__name__, e)
            except Exception:  # noqa: BLE001 - anything else is tested, and reported as a finding
                return None
            if result is NotImplemented:
                return "Value ** Value is NotImplemented"
        return None

    def apply(self, op, args):
        if op in BINARY:
            return BINARY[op](args[0], args[1])
        x = args[0]
        if op == "neg":
            return -x
        if op == "abs":
            return abs(x) if callable(getattr(self.cls, "__abs__", None)) else x.abs()
        return getattr(x, op)()


def real(x):
    """A number verigrad can compare: a float, int, bool or numpy float (not a complex, None, ...)."""
    return isinstance(x, numbers.Real)


def safe_repr(x):
    try:
        return repr(x)[:200]
    except Exception:  # noqa: BLE001
        return "<unprintable>"


def number_out(x):
    """A number for the reply: floats (and ints, bools, numpy floats) as JSON, the rest as {type, repr}."""
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x in (math.inf, -math.inf):
            return "inf" if x > 0 else "-inf"
        return float(x)
    if isinstance(x, numbers.Real):
        try:
            return number_out(float(x))
        except (OverflowError, ValueError, TypeError):
            pass
    return {"type": type(x).__name__, "repr": safe_repr(x)}


def number_in(x):
    if isinstance(x, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[x]
    return float(x)


ARITHMETIC = (ArithmeticError,)


def is_arithmetic(e):
    """The floating-point exceptions Python raises where IEEE would give inf or nan."""
    if isinstance(e, ARITHMETIC):
        return True
    return isinstance(e, ValueError) and ("math domain error" in str(e) or "math range error" in str(e))


class Failure(Exception):
    def __init__(self, reply):
        super().__init__()
        self.reply = reply


def node_in_traceback(tb, names):
    """The graph node whose backward raised: a local named out (micrograd's closures) or self."""
    frames = [f for f, _ in traceback.walk_tb(tb)][-60:]
    for frame in reversed(frames):
        local = frame.f_locals
        for key in ("out", "self"):
            name = names.get(id(local.get(key)))
            if name is not None:
                return name
    return None


def run_case(engine, msg):
    mode = msg.get("mode", "once")
    names = {}  # id(Value) -> name, to name the node a backward exception comes from
    ops_of = {row[0]: row[1] for row in msg["ops"]}
    state = {"phase": "build", "node": None}

    def built():
        """The values of the nodes built so far, sent with an error."""
        return {row[0]: number_out(env[row[0]].data) for row in msg["ops"] if row[0] in env}

    def error(e):
        try:
            message = str(e)[:2000]
        except Exception:  # noqa: BLE001
            message = "<unprintable message>"
        reply = {"type": "error", "id": msg["id"], "phase": state["phase"], "kind": "exception",
                 "exception": type(e).__name__, "message": message}
        node = state["node"]
        if state["phase"] == "backward":
            node = node_in_traceback(e.__traceback__, names)
        if node is not None:
            reply["node"] = node
            if node in ops_of:
                reply["op"] = ops_of[node]
        if is_arithmetic(e):
            reply["arithmetic"] = True
        values = built()
        if values:
            reply["values"] = values
        return Failure(reply)

    def with_values(reply):
        values = built()
        if values:
            reply["values"] = values
        return reply

    def build(env):
        for row in msg["ops"]:
            name, op = row[0], row[1]
            state["node"] = name
            args = [env[a] if isinstance(a, str) and a not in ("inf", "-inf", "nan") else number_in(a) for a in row[2:]]
            try:
                out = engine.apply(op, args)
            except BaseException as e:  # noqa: BLE001 - SystemExit and all: the engine's, reported
                raise error(e) from None
            if not isinstance(out, engine.cls):
                raise Failure(with_values({"type": "error", "id": msg["id"], "phase": "build", "kind": "not_a_value",
                                           "node": name, "op": op, "returned": type(out).__name__,
                                           "repr": safe_repr(out), "message": "%s returned %s, not %s"
                                           % (op, type(out).__name__, engine.cls.__name__)}))
            data = out.data
            if type(data) is not float and not real(data):
                raise Failure(with_values({"type": "error", "id": msg["id"], "phase": "build", "kind": "non_ieee",
                                           "node": name, "op": op, "returned": type(data).__name__,
                                           "repr": safe_repr(data),
                                           "message": "%s gave a %s, not a float" % (op, type(data).__name__)}))
            env[name] = out
            names[id(out)] = name
        state["node"] = None

    leaves, env = {}, {}
    for name, x in msg["leaves"]:
        state["node"] = name
        try:
            leaves[name] = engine.make(number_in(x))
        except BaseException as e:  # noqa: BLE001
            raise error(e) from None
        names[id(leaves[name])] = name
    env.update(leaves)
    build(env)
    second = None
    if mode == "two_graphs":
        second = dict(leaves)
        build(second)
    out = env[msg["output"]]
    state["phase"] = "backward"
    try:
        out.backward()
        if mode == "twice":
            out.backward()
        elif mode == "zero_then_again":
            for leaf in leaves.values():
                leaf.grad = 0.0
            out.backward()
        elif mode == "two_graphs":
            second[msg["output"]].backward()
    except BaseException as e:  # noqa: BLE001
        raise error(e) from None
    reply = {"type": "result", "id": msg["id"], "value": number_out(out.data)}
    intermediates = msg.get("intermediates", True)
    grads = {name: number_out(v.grad) for name, v in leaves.items()}
    values = {}
    if intermediates:
        for row in msg["ops"]:
            v = env[row[0]]
            values[row[0]] = number_out(v.data)
            if mode == "once":
                grads[row[0]] = number_out(v.grad)
    reply["grads"] = grads
    if values:
        reply["values"] = values
    return reply


def main(argv):
    global SOURCE
    if len(argv) < 2:
        sys.stderr.write("usage: verigrad_adapter.py ENGINE.py [CLASS]\n")
        return 2
    SOURCE = argv[1]
    class_name = argv[2] if len(argv) > 2 else "Value"
    sys.dont_write_bytecode = True
    # The protocol keeps the real stdin and stdout; the engine gets /dev/null and stderr.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto_out.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        proto_out.flush()

    engine = None
    for raw in proto_in:
        try:
            msg = json.loads(raw)
        except ValueError as e:
            send({"type": "error", "phase": "protocol", "kind": "exception", "exception": "ValueError",
                  "message": "not JSON: %s" % e})
            continue
        kind = msg.get("type")
        if kind == "hello":
            if msg.get("protocol") != PROTOCOL:
                send({"type": "error", "phase": "hello", "kind": "exception", "exception": "protocol",
                      "message": "this adapter speaks protocol %d" % PROTOCOL})
                continue
            try:
                with Captured() as captured:
                    cls, notes = load_engine(SOURCE, class_name)
                    engine = Engine(cls, notes)
                    engine.check()
                printed = captured.text()
                if printed:
                    notes.append("loading printed: %s" % printed.strip()[:300])
                send(engine.hello())
            except BaseException as e:  # noqa: BLE001 - reported to verigrad, which exits 2
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                send({"type": "error", "phase": "hello", "kind": "exception", "exception": type(e).__name__,
                      "message": detail[:2000]})
                engine = None
        elif kind == "case":
            if engine is None:
                send({"type": "error", "phase": "protocol", "kind": "exception", "exception": "state",
                      "message": "a case before a successful hello"})
                continue
            with Captured() as captured:
                try:
                    reply = run_case(engine, msg)
                except Failure as f:
                    reply = f.reply
                except Exception as e:  # noqa: BLE001 - a case this adapter cannot read
                    reply = {"type": "error", "phase": "protocol", "kind": "exception",
                             "exception": type(e).__name__, "message": "bad case: %s" % e}
            printed = captured.text()
            if printed:
                reply["stdout"] = printed[:MAX_PRINTED]
            send(reply)
    return 0


SOURCE = ""

if __name__ == "__main__":
    sys.exit(main(sys.argv))
