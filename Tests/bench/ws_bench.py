#!/usr/bin/env python3
"""End-to-end benchmark of Dispatch against Jupyter's terminado, run side by side on loopback.

    python3 -m venv .build/bench-venv && .build/bench-venv/bin/pip install -r Tests/bench/requirements.txt
    swift build -c release --static-swift-stdlib
    .build/bench-venv/bin/python Tests/bench/ws_bench.py [--mb 200] [--only dispatch|terminado]

Both servers are started here on free loopback ports and driven through their WebSocket by the same
Python client (`websockets`): Dispatch (`.build/release/dispatch-gateway`, JSON messages of its README)
and terminado (Tests/bench/terminado_server.py: UniqueTermManager(["bash"]) and TermSocket, with
TCP_NODELAY). Every figure is measured in 3 rounds, the servers taking turns within each round so that
the machine's noise hits both alike; the best round is reported, and the ratio Dispatch/terminado comes
from this one run. Results go to Tests/bench/RESULTS.md (and the raw rounds to RESULTS.json).

Figures:
  1. output throughput of a block producer (`head -c N /dev/zero | base64 -w 100 | cat`) and a line
     producer (the same without `| cat`), MB/s (1 MB = 1e6 bytes) of terminal output received, from the
     command's send to a unique end marker; next to the raw pty ceiling (os.read on a pty master here);
  2. keystroke echo p50/p99: one byte to `cat` on a raw, non-echoing pty, 500 samples;
  3. create (terminado: connect) to the first output byte, 20 samples, p50;
  4. Ctrl-C in a `yes` flood until output stops (time of the last byte after ^C), p50 of 5;
  5. server RSS while a client that reads one message every 20 ms watches `yes` for 8 s;
  6. Dispatch only: 1, 10 and 100 sessions flooding at once (block producer), total MB/s and CPU time.
Figures 5 and 6 run on a fresh server in each round. For echo, two floors are measured too: a bare pty
to `cat` and back, and this client to the gateway's test-only WebSocket echo (DISPATCH_TEST_ECHO=1, a
separate gateway), so that the client's own share is visible.

Before each round the run waits (at most --wait seconds in all) while a dispatch-bench, a swift build
or test, or a browser runs, or while a third of the machine is busy; it syncs dirty pages first, so the
event store's writes of one round are not paid by the next. A run takes about 6-7 minutes when quiet.
`--from-json RESULTS.json` rewrites the report from an earlier run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from wsbench.common import BENCH_DIR, log
from wsbench.report import write_report
from wsbench.rounds import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="MB of /dev/zero per throughput run (default 200)")
    parser.add_argument("--only", choices=["dispatch", "terminado"], help="run one server only")
    parser.add_argument("--figures", default="throughput,echo,first,ctrlc,slow,many",
                        help="comma-separated subset of throughput,echo,first,ctrlc,slow,many")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure, the best reported (default 3)")
    parser.add_argument("--wait", type=float, default=600,
                        help="seconds in all to wait for other CPU-heavy work (dispatch-bench, swift build or test, "
                             "a browser) to finish before measuring (default 600)")
    parser.add_argument("--out", default=str(BENCH_DIR / "RESULTS.md"), help="where to write the report")
    parser.add_argument("--from-json", help="rewrite the report from a RESULTS.json of an earlier run, measuring nothing")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        args.mb = results.get("args", {}).get("mb", args.mb)
        args.only = results.get("args", {}).get("only", args.only)
        report = write_report(results, args)
        Path(args.out).write_text(report)
        print(report)
        return
    started = time.monotonic()
    results = asyncio.run(run(args))
    results["elapsed_seconds"] = round(time.monotonic() - started, 1)
    results["args"] = {"mb": args.mb, "only": args.only}
    report = write_report(results, args)
    Path(args.out).write_text(report)
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(report)
    log(f"done in {results['elapsed_seconds']} s; wrote {args.out}")


if __name__ == "__main__":
    main()

