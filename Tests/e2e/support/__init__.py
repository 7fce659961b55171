"""Helpers of the end-to-end tests: a real dispatch-gateway process, raw HTTP and WebSocket
clients on plain sockets, a JSON client on `websockets`, and checks of what sessions printed and stored.

Every wait is bounded and fails with a message saying what was awaited.
"""
