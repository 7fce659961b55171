"""Jupyter's terminado as a stand-alone web terminal, the peer that Tests/bench/ws_bench.py runs next to
Dispatch: one fresh `bash` per WebSocket (UniqueTermManager) at ws://127.0.0.1:PORT/websocket.

Usage: python terminado_server.py PORT   (prints "READY <port> <pid>" once it listens)

Two changes to a stock setup, both in favour of terminado:
- TCP_NODELAY on every socket: without it small messages (keystroke echo) wait ~40 ms on delayed ACKs.
- Any Origin is accepted: the benchmark runs on loopback only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import tornado.web
from terminado import TermSocket, UniqueTermManager


class BenchTermSocket(TermSocket):
    def check_origin(self, origin: str) -> bool:  # loopback benchmark only
        return True

    def open(self, url_component=None):
        self.set_nodelay(True)
        return super().open(url_component)


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    manager = UniqueTermManager(shell_command=["bash"])
    app = tornado.web.Application([(r"/websocket", BenchTermSocket, {"term_manager": manager})])
    server = app.listen(port, address="127.0.0.1")
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    print(f"READY {port} {os.getpid()}", flush=True)
    try:
        await stop.wait()
    finally:
        server.stop()
        await manager.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
