#!/usr/bin/python3
"""Resident memory per idle connection, TCP against WebSocket.

Starts tern (TERN_BINARY, default build/ci/src/app/tern) with a plain and a "ws" listener, opens
N connections of one kind (default 1000; CONNECT done, then idle), reads VmRSS before and after,
closes them, and repeats for the other kind on a fresh broker (freed memory stays in the
allocator, so a second round on the same process would measure nothing).

    /usr/bin/python3 bench/idle_rss_websocket.py [N]
"""

import os
import resource
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("TERN_BINARY", os.path.join(HERE, "..", "build", "ci", "src", "app", "tern"))

from harness import Broker, connect, free_port, read_packet  # noqa: E402
from test_20_websockets import (OP_BINARY, FrameReader, frame, read_http_response,  # noqa: E402
                                upgrade_request)


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def measure(kind, n):
    ws_port = free_port()
    broker = Broker(config=(f"shards = 2\n[storage]\ndurability = \"memory\"\n"
                            f"[[listeners]]\naddress = \"127.0.0.1\"\n"
                            f"[[listeners]]\naddress = \"127.0.0.1\"\nport = {ws_port}\n"
                            f"protocol = \"ws\"\n")).start()
    sockets = []
    try:
        time.sleep(0.5)
        before = rss_kib(broker.proc.pid)
        for i in range(n):
            if kind == "ws":
                s = socket.create_connection(("127.0.0.1", ws_port))
                request, _ = upgrade_request()
                s.sendall(request)
                status, _, rest = read_http_response(s)
                assert status == 101, status
                s.sendall(frame(OP_BINARY, connect(client_id=f"idle-{i}")))
                FrameReader(s, rest).mqtt_bytes(4)
            else:
                s = socket.create_connection(("127.0.0.1", broker.port))
                s.sendall(connect(client_id=f"idle-{i}"))
                read_packet(s)
            sockets.append(s)
        time.sleep(1.0)
        after = rss_kib(broker.proc.pid)
        print(f"{kind:>3}: {n} idle connections: RSS {before} -> {after} KiB, "
              f"{(after - before) * 1024 / n:.0f} bytes per connection")
    finally:
        for s in sockets:
            s.close()
        broker.stop()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
    measure("tcp", n)
    measure("ws", n)


if __name__ == "__main__":
    main()
