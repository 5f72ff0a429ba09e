#!/usr/bin/env python3
"""A conform adapter that misbehaves on purpose, for verigrad's robustness tests.

    misbehave.py MODE [ARG]

It runs the real Python adapter on the correct test engine as a child and passes lines through,
except where MODE says otherwise. verigrad must answer each mode with a clear message and exit code,
or a finding, and never hang or crash.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ADAPTER = os.environ.get("VERIGRAD_PYTHON_ADAPTER") or os.path.join(HERE, "..", "..", "..", "verify", "conform",
                                                                    "verigrad_adapter.py")
ENGINE = os.path.join(HERE, "..", "engines", "correct_engine.py")

mode = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else ""
out = sys.stdout.buffer


def write(data):
    out.write(data if isinstance(data, bytes) else data.encode())
    out.flush()


def hang():
    while True:
        time.sleep(1000)


if mode == "silent":
    hang()
if mode == "exit_at_start":
    sys.stderr.write("misbehave: giving up before the handshake\n")
    sys.exit(3)

inner = subprocess.Popen([sys.executable, "-B", ADAPTER, ENGINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def ask(line):
    inner.stdin.write(line)
    inner.stdin.flush()
    return inner.stdout.readline()


for line in sys.stdin.buffer:
    msg = json.loads(line)
    reply = ask(line)
    if msg["type"] == "hello":
        hello = json.loads(reply)
        if mode == "bad_hello_json":
            reply = b"{not json\n"
        elif mode == "wrong_protocol":
            reply = (json.dumps(dict(hello, protocol=2)) + "\n").encode()
        elif mode == "hello_error":
            reply = b'{"type":"error","phase":"hello","kind":"exception","exception":"ImportError","message":"no engine here"}\n'
        elif mode == "unknown_op":
            reply = (json.dumps(dict(hello, ops=hello["ops"] + ["matmul"])) + "\n").encode()
        elif mode == "only_add":
            reply = (json.dumps(dict(hello, ops=["add"], constant_left=["add"])) + "\n").encode()
        write(reply)
        continue
    case = msg["id"]
    ops = [row[1] for row in msg["ops"]]
    if mode == "prints":
        write("a print from the engine\n\n[1, 2, 3]\nValue(data=1.0, grad=0.0)\r\n")
    elif mode == "huge_print" and case == 0:
        write(b"x" * (70 << 20) + b"\n")
    elif mode == "garbage_reply" and case == 2:
        reply = b'{"type":"result","id":2,"value":"Infinity","grads":{}}\n'
    elif mode == "invalid_utf8" and case == 2:
        reply = b'{"type":"result","id":2,"value":1.0,"grads":{"x1":"\xff\xfe"}}\n'
    elif mode == "huge_line" and case == 2:
        reply = b'{"type":"result","id":2,"junk":"' + b"y" * (70 << 20) + b'"}\n'
    elif mode == "nested" and case == 2:
        reply = b"{" + b'"a":' + b"[" * 200000 + b"]" * 200000 + b"}\n"
    elif mode == "wrong_id" and case == 2:
        reply = reply.replace(b'"id":2', b'"id":7')
    elif mode == "missing_grad" and case == 2:
        r = json.loads(reply)
        if r["type"] == "result":
            r["grads"].pop("x1", None)
        reply = (json.dumps(r) + "\n").encode()
    elif mode == "unknown_name" and case == 2:
        r = json.loads(reply)
        r.setdefault("grads", {})["zz"] = 1.0
        reply = (json.dumps(r) + "\n").encode()
    elif mode == "partial_then_hang" and case == 3:
        write(b'{"type":"res')
        hang()
    elif mode == "hang_on_case" and case == 3:
        hang()
    elif mode == "slow_deep" and len(ops) > 50000:
        time.sleep(float(arg))  # longer than --timeout, shorter than the time a case this deep is given
    elif mode == "die_on" and arg in ops:
        write(b'{"type":"resu')
        os._exit(7)
    elif mode == "die_once" and case == 5:
        marker = arg
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(9)
    elif mode == "close_stdout" and case == 3:
        os.close(1)
        hang()
    elif mode == "child_holds_pipe" and case == 3:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
        with open(arg, "w") as f:
            f.write(str(child.pid))
        hang()
    write(reply)
