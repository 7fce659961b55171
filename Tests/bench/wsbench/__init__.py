"""The end-to-end benchmark of Dispatch against terminado (Tests/bench/ws_bench.py runs it)."""
