"""The Markdown report of a run, with ttyd's figures for reference."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path




# ttyd, measured on this machine type (issue 3, DESIGN section 7): the C reference, not run here.
TTYD = {"block": 45.0, "line": 21.0, "echo_p50": 0.18, "echo_p99": 0.28, "first": 4.0, "ctrlc": 1.4,
        "rss": "flat at 5 MB"}


def machine_facts() -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version()}


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def ratio(d, t, digits=2):
    if d is None or t is None or t == 0:
        return "–"
    return f"{d / t:.{digits}f}"


def aims(results: dict) -> list[str]:
    """DESIGN section 7's aims, judged on this run (ttyd's figures are the ones measured on this machine type)."""
    d = results.get("dispatch", {})
    out = []
    if d.get("block") and d.get("line"):
        ok = d["block"]["mbps"] >= TTYD["block"] and d["line"]["mbps"] >= TTYD["line"]
        out.append(f"- Throughput at or above ttyd's ({TTYD['block']:.0f} / {TTYD['line']:.0f} MB/s): "
                   f"{'met' if ok else 'missed'} ({d['block']['mbps']:.1f} / {d['line']['mbps']:.1f} MB/s).")
    if d.get("echo"):
        limit50, limit99 = 1.3 * TTYD["echo_p50"], 1.3 * TTYD["echo_p99"]
        ok = d["echo"]["p50"] <= limit50 and d["echo"]["p99"] <= limit99
        out.append(f"- Echo within 1.3x of ttyd's ({limit50:.3f} / {limit99:.3f} ms): {'met' if ok else 'missed'} "
                   f"({d['echo']['p50']:.3f} / {d['echo']['p99']:.3f} ms; {d['echo']['p50'] / TTYD['echo_p50']:.2f}x at p50). "
                   "ttyd was not run with this client: the client's own share is in the floor rows.")
    if d.get("slow"):
        series = d["slow"]["series"]
        half = series[len(series) // 2:]
        growth = max(half) - half[0]
        ok = growth <= max(2.0, 0.1 * series[0])
        out.append(f"- Memory flat under the slow reader: {'met' if ok else 'missed'} (gateway {series[0]:.1f} MB idle, "
                   f"{max(series):.1f} MB at most, {growth:+.1f} MB over the last {(len(series) - 1) * 0.25:.0f} s of the "
                   f"{(len(series) - 1) * 0.5:.0f} s).")
    if out:
        out = ["Aims of DESIGN section 7, judged on this run:", ""] + out + [""]
    return out


def write_report(results: dict, args) -> str:
    m = results["machine"]
    d = results.get("dispatch", {})
    t = results.get("terminado", {})
    raw = results.get("raw_pty", {})
    lines = [
        "# End-to-end benchmark: Dispatch and terminado side by side",
        "",
        f"Command: `.build/bench-venv/bin/python Tests/bench/ws_bench.py --mb {args.mb}`"
        + (f" `--only {args.only}`" if args.only else "") + " (after `swift build -c release --static-swift-stdlib`"
        " and `.build/bench-venv/bin/pip install -r Tests/bench/requirements.txt`).",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, Python {m['python']}, {m['date']}. "
        "Shared and noisy: each figure is the best of 3 rounds, the two servers taking turns within a round, "
        "so the ratio comes from one run. ttyd was not run here: its figures are those measured on this "
        "machine type (issue 3, DESIGN section 7). "
        f"Load average at the start {results.get('load_start', '?')}, at the end {results.get('load_end', '?')}.",
        "",
        "Loopback, one Python `websockets` client for both servers; Dispatch attaches with `flow:false`. "
        "Throughput is MB/s (1e6 bytes) of terminal output received, from the command's send to its end marker. "
        "The pty column: the same producer on a bare pty read with `os.read` here (throughput), one byte through a "
        "bare pty to `cat` and back (echo).",
        "",
        "| figure | Dispatch | terminado | Dispatch/terminado | ttyd (reference) | bare pty here |",
        "|---|---|---|---|---|---|",
    ]

    def row(label, key, sub, digits, ref, ceiling="", higher_better=True):
        dv = d.get(key, {}).get(sub) if d else None
        tv = t.get(key, {}).get(sub) if t else None
        lines.append(f"| {label} | {fmt(dv, digits)} | {fmt(tv, digits)} | {ratio(dv, tv)} | {ref} | {ceiling} |")

    row(f"output, block producer, {args.mb} MB (MB/s)", "block", "mbps", 1, fmt(TTYD["block"]),
        fmt(raw.get("block")))
    row(f"output, line producer, {args.mb} MB (MB/s)", "line", "mbps", 1, fmt(TTYD["line"]), fmt(raw.get("line")))
    floors = results.get("echo_floors", {})
    pty_floor = floors.get("pty", {})
    row("keystroke echo p50 (ms)", "echo", "p50", 3, fmt(TTYD["echo_p50"], 2), fmt(pty_floor.get("p50"), 3))
    row("keystroke echo p99 (ms)", "echo", "p99", 3, fmt(TTYD["echo_p99"], 2), fmt(pty_floor.get("p99"), 3))
    if floors.get("websocket"):
        lines.append(f"| echo floor: this client to the gateway's test WebSocket echo, no worker or pty, p50 / p99 (ms) | "
                     f"{fmt(floors['websocket']['p50'], 3)} / {fmt(floors['websocket']['p99'], 3)} | | | | |")
    row("create (terminado: connect) to first output, p50 (ms)", "first", "p50", 1, fmt(TTYD["first"], 0))
    row("Ctrl-C in a `yes` flood until output stops, p50 (ms)", "ctrlc", "p50", 1, fmt(TTYD["ctrlc"]))
    row("bytes received after the ^C, p50 (same round)", "ctrlc", "bytes_after_p50", 0, "")
    if d.get("ctrlc_flow"):
        lines.append(f"| same, Dispatch client with `flow:true` acking every event (ms) | "
                     f"{fmt(d['ctrlc_flow']['p50'])} | | | | |")
    for label, sub in (("start", "start"), ("max", "max"), ("end", "end")):
        row(f"server RSS under a slow reader, {label} (MB)", "slow", sub, 1, TTYD["rss"] if sub == "max" else "")
    if d.get("slow", {}).get("worker"):
        w = d["slow"]["worker"]
        lines.append(f"| Dispatch worker RSS under the slow reader, start / max / end (MB) | "
                     f"{fmt(w['start'])} / {fmt(w['max'])} / {fmt(w['end'])} | | | | |")
    lines.append("")
    if d.get("first"):
        lines.append(f"Dispatch's create-to-first-output excludes the WebSocket handshake and `auth` (done before "
                     f"`create`); with them it is {fmt(d['first']['p50_with_connect'])} ms p50. Terminado's figure "
                     "includes its handshake (it starts the shell on connect).")
        lines.append("")
    if d.get("slow") or t.get("slow"):
        lines.append("The slow reader runs on a fresh server in each round (best round: the lowest max). "
                     "RSS series of that round (MB, every 0.5 s):")
        lines.append("")
        if d.get("slow"):
            lines.append(f"- Dispatch gateway: {d['slow']['series']}")
            if d["slow"].get("worker"):
                lines.append(f"- Dispatch worker: {d['slow']['worker']['series']}")
        if t.get("slow"):
            lines.append(f"- terminado: {t['slow']['series']}")
        lines.append("")
    if results.get("many"):
        lines += [
            "Dispatch with many sessions at once (block producer, every session flooding concurrently, one "
            "WebSocket per session, best of 3):",
            "",
            "| sessions | MB each | total MB/s | seconds | gateway CPU s | gateway CPU s per GB | workers CPU s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results["many"]:
            lines.append(f"| {r['sessions']} | {r['mb_each']} | {fmt(r['mbps'])} | {fmt(r['seconds'], 2)} | "
                         f"{fmt(r['gateway_cpu'], 2)} | {fmt(r['gateway_cpu_per_gb'], 2)} | {fmt(r['workers_cpu'], 2)} |")
        lines.append("")
    lines += aims(results)
    lines.append(f"All rounds are in `{Path(args.out).with_suffix('.json').name}` next to this file.")
    return "\n".join(lines) + "\n"
