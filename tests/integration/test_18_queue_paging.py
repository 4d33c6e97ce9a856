"""Queue paging: with a store, the QoS 1/2 messages queued for a persistent session beyond
`max_queued_in_memory` wait on disk only, so a long offline backlog does not live in the broker's
memory; they come back in order as the client drains its queue, also after `kill -9`.

Messages queued for one session travel inside their queue entry; messages queued for several
sessions are stored once and referenced by every paged entry, so both kinds are exercised (one
and two offline subscribers).
"""

import sys
import threading
import time
import unittest

from clients import PahoClient, RawClient
from harness import PUBLISH, RECEIVE_MAXIMUM, SESSION_EXPIRY_INTERVAL, tern_binary
from test_12_durability import CrashBroker

PAYLOAD_SIZE = 16 * 1024
MESSAGES = 1500  # 24 MiB of payload per subscriber
# The memory comparison needs a backlog well above what the store keeps in its write buffers
# (RocksDB memtables: up to 2 x 32 MiB of recent records before they are flushed to disk).
LARGE_PAYLOAD_SIZE = 64 * 1024
LARGE_MESSAGES = 3000  # 192 MiB

CONFIG = f"""shards = 2
[sessions]
max_queued_messages = 100000
max_queued_bytes = 1073741824
max_queued_in_memory = {{in_memory}}
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def sanitized():
    """True for a binary built with AddressSanitizer, whose quarantine of freed memory makes RSS
    say nothing about what the broker holds."""
    with open(tern_binary(), "rb") as f:
        return b"__asan_init" in f.read()


def payload(i, size=PAYLOAD_SIZE):
    return f"{i:06d}".encode() + b"." * (size - 6)


class QueuePagingTest(unittest.TestCase):
    def backlog(self, in_memory, subscribers, kill=False, size=PAYLOAD_SIZE, count=MESSAGES):
        """Queues MESSAGES QoS 1 messages for offline persistent sessions, optionally kills and
        restarts the broker, then drains every session; returns the broker's RSS growth (KiB)
        while the backlog was queued. Asserts every message arrives once per subscriber, in
        order."""
        broker = CrashBroker(config=CONFIG.format(in_memory=in_memory))
        self.addCleanup(broker.close)
        broker.launch()
        ids = [f"paging-sub-{i}" for i in range(subscribers)]
        for cid in ids:
            sub = PahoClient(broker.port, cid, level=5, clean=False, session_expiry=3600)
            sub.subscribe("paging/#", qos=1)
            sub.disconnect()
        before = rss_kib(broker.tern_pid())
        pub = PahoClient(broker.port, "paging-pub", level=5)
        for i in range(count):
            pub.publish("paging/t", payload(i, size), qos=1)  # waits for PUBACK
        pub.disconnect()
        grown = rss_kib(broker.tern_pid()) - before
        if kill:
            broker.kill()
            broker.launch()
        for cid in ids:
            sub = PahoClient(broker.port, cid, level=5, clean=False, session_expiry=3600)
            got = [int(m.payload[:6]) for m in sub.get_many(count, timeout=60)]
            self.assertEqual(got, list(range(count)), f"{cid}: backlog not delivered in order")
            sub.disconnect()
        return grown

    @unittest.skipIf(sanitized(), "RSS under AddressSanitizer includes its quarantine")
    def test_a_paged_backlog_stays_out_of_memory(self):
        paged = self.backlog(in_memory=50, subscribers=1, size=LARGE_PAYLOAD_SIZE,
                             count=LARGE_MESSAGES)
        in_memory = self.backlog(in_memory=100000, subscribers=1, size=LARGE_PAYLOAD_SIZE,
                                 count=LARGE_MESSAGES)
        backlog_kib = LARGE_MESSAGES * LARGE_PAYLOAD_SIZE // 1024
        sys.stderr.write(f"\nRSS growth for a {backlog_kib} KiB backlog: paged {paged} KiB, "
                         f"in memory {in_memory} KiB\n")
        # Held in memory, the backlog shows in RSS; paged, only the first 50 messages and the
        # store's write buffers do.
        self.assertGreater(in_memory, backlog_kib * 0.8, "the comparison run held no backlog")
        self.assertLess(paged, backlog_kib * 0.5,
                        f"paged backlog grew RSS by {paged} KiB (in memory: {in_memory} KiB)")

    def test_shared_messages_come_back_for_every_session(self):
        self.backlog(in_memory=20, subscribers=2)

    def test_a_paged_backlog_survives_kill_9(self):
        self.backlog(in_memory=20, subscribers=2, kill=True)
        self.backlog(in_memory=20, subscribers=1, kill=True)

    def start(self, in_memory):
        broker = CrashBroker(config=CONFIG.format(in_memory=in_memory))
        self.addCleanup(broker.close)
        return broker.launch()

    def test_messages_arriving_while_a_paged_backlog_drains_keep_their_order(self):
        """The client comes back to a paged backlog while a publisher goes on: what arrives
        meanwhile waits behind the paged messages, so everything arrives once, in order."""
        broker = self.start(in_memory=20)
        sub = PahoClient(broker.port, "drain-sub", level=5, clean=False, session_expiry=3600)
        sub.subscribe("drain/#", qos=1)
        sub.disconnect()
        pub = PahoClient(broker.port, "drain-pub", level=5)
        for i in range(600):
            pub.publish("drain/t", payload(i, 256), qos=1)
        more = threading.Thread(
            target=lambda: [pub.publish("drain/t", payload(i, 256), qos=1)
                            for i in range(600, 1200)])
        more.start()
        sub = PahoClient(broker.port, "drain-sub", level=5, clean=False, session_expiry=3600)
        got = [int(m.payload[:6]) for m in sub.get_many(1200, timeout=60)]
        more.join()
        self.assertEqual(got, list(range(1200)), "backlog and new messages out of order")
        sub.disconnect()
        pub.disconnect()

    def test_an_attached_clients_backlog_is_paged_when_it_leaves(self):
        """A connected client that does not acknowledge (Receive Maximum 1) holds its queue in
        memory; when it goes, the queue beyond max_queued_in_memory is paged. After a restart
        the client gets the unacknowledged message again, then the rest, in order."""
        broker = self.start(in_memory=20)
        slow = RawClient(broker, "slow-sub", level=5, clean=False,
                         props=[(SESSION_EXPIRY_INTERVAL, 3600), (RECEIVE_MAXIMUM, 1)])
        self.assertEqual(slow.subscribe([("slow/#", 1)]), [1])
        pub = PahoClient(broker.port, "slow-pub", level=5)
        for i in range(300):
            pub.publish("slow/t", payload(i, 256), qos=1)
        pub.disconnect()
        first = slow.read_type(PUBLISH)
        self.assertIn(payload(0, 256), first.body)
        slow.sock.close()
        # Whether the kill comes before or after the paging writes, nothing may be lost.
        time.sleep(0.5)
        broker.kill()
        broker.launch()
        sub = PahoClient(broker.port, "slow-sub", level=5, clean=False, session_expiry=3600)
        got = [int(m.payload[:6]) for m in sub.get_many(300, timeout=60)]
        self.assertEqual(got, list(range(300)), "backlog lost or out of order")
        sub.disconnect()


if __name__ == "__main__":
    unittest.main()
