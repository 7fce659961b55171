"""A run: every figure in rounds, the servers taking turns within each round, the best round kept."""

from __future__ import annotations

import sys

from wsbench.common import GATEWAY, log
from wsbench.proc import load_average, wait_for_quiet_machine
from wsbench.figures import (PRODUCERS, ctrl_c, echo_latency, first_output, many_sessions, pty_echo_floor,
                              raw_pty_throughput, slow_reader, throughput, websocket_echo_floor)
from wsbench.report import machine_facts
from wsbench.servers import DispatchServer, TerminadoServer


def best(rounds: list[dict], key: str, higher: bool) -> dict:
    return (max if higher else min)(rounds, key=lambda r: r[key])


class Rounds:
    """The results of a run as it measures: every round under "rounds", the best one under the server's name."""

    def __init__(self, servers: list, count: int, wait: float):
        self.servers, self.count, self.wait = servers, count, wait
        self.results: dict = {"machine": machine_facts(), "rounds": {}, "load_start": load_average()}
        for s in servers:
            self.results[s.name] = {}
            self.results["rounds"][s.name] = {}

    def record(self, server, figure: str, value: dict):
        self.results["rounds"][server.name].setdefault(figure, []).append(value)

    def keep_best(self, figure: str, key: str, higher: bool):
        for s in self.servers:
            if figure in self.results["rounds"][s.name]:
                self.results[s.name][figure] = best(self.results["rounds"][s.name][figure], key, higher)

    async def each_round(self, step):
        """`count` rounds, each once the machine is quiet, the servers taking turns within a round:
        `step(server, round number)`."""
        for i in range(self.count):
            wait_for_quiet_machine(self.wait)
            for s in self.servers:
                await step(s, i + 1)

    async def measure(self, figure: str, label: str, measure, describe, key: str, higher: bool):
        """Every round of `measure(server)`, logged as `describe` says; the best by `key` is kept."""
        async def step(s, n):
            r = await measure(s)
            self.record(s, figure, r)
            log(f"{s.name} {label} round {n}: {describe(r)}")
        await self.each_round(step)
        self.keep_best(figure, key, higher)


def start_servers(only: str | None) -> list:
    servers = []
    if only in (None, "dispatch"):
        if not GATEWAY.exists():
            sys.exit(f"{GATEWAY} is missing: run `swift build -c release --static-swift-stdlib` first")
        servers.append(DispatchServer())
    if only in (None, "terminado"):
        servers.append(TerminadoServer())
    return servers


async def on_a_fresh_server(s, measure):
    """`measure` on a new server of `s`'s kind, stopped afterwards."""
    fresh = type(s)()
    try:
        return await measure(fresh)
    finally:
        fresh.stop()


def describe_slow_reader(r: dict) -> str:
    extra = (f"; worker {r['worker']['start']:.1f} / {r['worker']['max']:.1f} / {r['worker']['end']:.1f}"
             if r.get("worker") else "")
    return f"RSS start {r['start']:.1f} max {r['max']:.1f} end {r['end']:.1f} MB ({r['messages']} messages){extra}"


async def run(args) -> dict:
    servers = start_servers(args.only)
    rounds = Rounds(servers, args.rounds, args.wait)
    results = rounds.results
    try:
        wait_for_quiet_machine(args.wait)
        figures = args.figures.split(",")
        if "throughput" in figures:
            raw = {}
            for producer in PRODUCERS:
                values = [raw_pty_throughput(PRODUCERS[producer].format(n=args.mb * 1_000_000))[0]
                          for _ in range(args.rounds)]
                raw[producer] = max(values)
                log(f"raw pty {producer}: {[round(v, 1) for v in values]} MB/s")
            results["raw_pty"] = raw
            for producer in PRODUCERS:
                await rounds.measure(producer, producer, lambda s: throughput(s, producer, args.mb),
                                     lambda r: f"{r['mbps']:.1f} MB/s ({r['bytes']} B in {r['seconds']:.2f} s)", "mbps", True)
        if "echo" in figures:
            await rounds.measure("echo", "echo", echo_latency, lambda r: f"p50 {r['p50']:.3f} ms, p99 {r['p99']:.3f} ms",
                                 "p50", False)
            floors = {"pty": min((pty_echo_floor() for _ in range(args.rounds)), key=lambda r: r["p50"])}
            if any(isinstance(s, DispatchServer) for s in servers):
                echo_server = DispatchServer(test_echo=True)
                try:
                    floors["websocket"] = min([await websocket_echo_floor(echo_server) for _ in range(args.rounds)],
                                              key=lambda r: r["p50"])
                finally:
                    echo_server.stop()
            results["echo_floors"] = floors
            log(f"echo floors: {floors}")
        if "first" in figures:
            await rounds.measure("first", "first output", first_output, lambda r: f"p50 {r['p50']:.1f} ms", "p50", False)
        if "ctrlc" in figures:
            async def ctrl_c_step(s, n):
                r = await ctrl_c(s)
                rounds.record(s, "ctrlc", r)
                log(f"{s.name} ctrl-c round {n}: p50 {r['p50']:.1f} ms {[round(x, 1) for x in r['all']]}")
                if isinstance(s, DispatchServer):
                    r = await ctrl_c(s, flow=True)
                    rounds.record(s, "ctrlc_flow", r)
                    log(f"{s.name} ctrl-c (flow) round {n}: p50 {r['p50']:.1f} ms {[round(x, 1) for x in r['all']]}")
            await rounds.each_round(ctrl_c_step)
            rounds.keep_best("ctrlc", "p50", False)
            rounds.keep_best("ctrlc_flow", "p50", False)
        if "slow" in figures:
            # Each round on a fresh server, so that start/max/end describe this reader alone.
            await rounds.measure("slow", "slow reader", lambda s: on_a_fresh_server(s, slow_reader), describe_slow_reader,
                                 "max", False)
        if "many" in figures and any(isinstance(s, DispatchServer) for s in servers):
            # Each round on a fresh gateway: nothing left over from the figures or rounds before.
            results["many"] = []
            for count, mb_each in ((1, args.mb), (10, max(1, args.mb // 10)), (100, max(1, args.mb // 100))):
                many = []
                for i in range(args.rounds):
                    wait_for_quiet_machine(args.wait)
                    dispatch = DispatchServer()
                    try:
                        r = await many_sessions(dispatch, count, mb_each)
                    finally:
                        dispatch.stop()
                    many.append(r)
                    log(f"dispatch {count} sessions x {mb_each} MB round {i + 1}: {r['mbps']:.1f} MB/s total, "
                        f"gateway CPU {r['gateway_cpu']:.2f} s, workers {r['workers_cpu']:.2f} s in {r['seconds']:.2f} s")
                results["rounds"].setdefault("many", []).extend(many)
                results["many"].append(best(many, "mbps", True))
    finally:
        for s in servers:
            s.stop()
        results["load_end"] = load_average()
    return results
