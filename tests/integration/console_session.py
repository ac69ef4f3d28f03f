#!/usr/bin/env python3
"""console_session.py: be the person at a guest's serial console.

Usage:
  console_session.py --log FILE [--timeout S] [--expect REGEX --send TEXT]...
                     -- COMMAND [ARG...]

Listens on a free TCP port of 127.0.0.1, runs COMMAND with each "{port}" in
its arguments replaced by that port (scripts/run --serial-socket
127.0.0.1:{port} makes the emulator's COM1 connect to it), and writes all
that the console says to FILE.  The --expect/--send pairs are a script: each
REGEX (Python syntax) is waited for in the console output after the previous
match, then its TEXT is typed, all at once as if pasted (escapes such as
\\n are understood): the emulated UART then takes a byte per byte time at
its baud rate, and no byte may be lost on the way to the guest.  A timeout
ends COMMAND's process group.

Exit status: COMMAND's, or 3 when an --expect was still unmatched when
COMMAND ended or the timeout came (it says which), or 2 for bad usage.
"""

import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

EXIT_UNMATCHED = 3


def parse_args(argv):
    if "--" not in argv:
        sys.exit("console_session.py: usage: ... -- COMMAND [ARG...]")
    cut = argv.index("--")
    p = argparse.ArgumentParser(prog="console_session.py")
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--send", action="append", default=[])
    args = p.parse_args(argv[:cut])
    args.command = argv[cut + 1:]
    if not args.command or len(args.expect) != len(args.send):
        p.error("give a COMMAND, and one --send for each --expect")
    args.steps = [(re.compile(e), s.encode().decode("unicode_escape").encode())
                  for e, s in zip(args.expect, args.send)]
    return args


def say(msg):
    print(f"console_session.py: {msg}", file=sys.stderr, flush=True)


def main(argv):
    args = parse_args(argv)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    command = [a.replace("{port}", str(port)) for a in args.command]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + args.timeout
    conn = None
    seen = b""      # console output not yet consumed by a match
    steps = list(args.steps)
    timed_out = False
    with open(args.log, "wb") as log:
        while True:
            if time.monotonic() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGTERM)
                break
            watch = [conn if conn else server]
            ready, _, _ = select.select(watch, [], [], 0.1)
            if server in ready:
                conn, _ = server.accept()
                continue
            if conn in ready:
                data = conn.recv(4096)
                if not data:
                    break
                log.write(data)
                log.flush()
                seen += data
                while steps:
                    m = steps[0][0].search(seen.decode("latin-1"))
                    if not m:
                        break
                    seen = seen[m.end():]
                    conn.sendall(steps.pop(0)[1])
            elif proc.poll() is not None and conn is None:
                break
        status = proc.wait()
    if timed_out:
        say(f"timeout after {args.timeout:.0f} s")
    if steps:
        say(f"never saw {steps[0][0].pattern!r} on the console")
        return EXIT_UNMATCHED
    return 124 if timed_out else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
