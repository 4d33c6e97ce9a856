"""A full disk under the store: Tern stops acknowledging QoS 1/2 messages (PUBACK 0x97 for
MQTT 5, no acknowledgement for 3.1.1), keeps serving QoS 0, logs why, and acknowledges again once
space returns; the messages it acknowledged are all delivered.

The data directory is a small tmpfs mounted in a private mount namespace of the tern process
(`unshare -m`), so nothing outside the test fills up. The test reaches into that namespace
through /proc/<pid>/root to fill the file system and to free it again.
"""

import os
import shutil
import socket
import subprocess
import time
import unittest

from clients import RawClient, parse_ack, parse_publish
from harness import (DISCONNECT, PUBACK, PUBLISH, SESSION_EXPIRY_INTERVAL, Broker, Closed,
                     parse_disconnect, publish)

TMPFS_SIZE = "48m"
PAYLOAD = b"x" * 262144


def namespaces_available():
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True, check=False)
    return probe.returncode == 0


class TmpfsBroker(Broker):
    """tern with its data directory on a private tmpfs of TMPFS_SIZE."""

    def command(self):
        cmd = super().command()
        data_dir = os.path.join(self.tmpdir, "data")
        os.makedirs(data_dir, exist_ok=True)
        mount = f'mount -t tmpfs -o size={TMPFS_SIZE} tmpfs "$0" && exec "$@"'
        return ["unshare", "-m", "sh", "-c", mount, data_dir] + cmd

    def data_path(self, name):
        """A path inside the tmpfs as the tern process sees it."""
        return f"/proc/{self.proc.pid}/root{os.path.join(self.tmpdir, 'data', name)}"


@unittest.skipUnless(namespaces_available(), "needs unshare -m and tmpfs mounts (root)")
class DiskFullTest(unittest.TestCase):

    def setUp(self):
        self.broker = TmpfsBroker(config="shards = 2\n").start()
        self.addCleanup(self.broker.stop)
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.sock.close()

    def client(self, client_id, level=5, **kwargs):
        c = RawClient(self.broker, client_id, level=level, **kwargs)
        self.clients.append(c)
        return c

    def fill_disk(self):
        path = self.broker.data_path("filler")
        with open(path, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        return path

    def send_qos1(self, c, topic, payload):
        pid = c.next_id()
        c.send(publish(topic, payload, qos=1, packet_id=pid, level=c.level))
        return pid

    def read_puback(self, c, timeout):
        """(packet id, reason) of the next PUBACK, or None if none comes within `timeout`."""
        try:
            got, reason, _ = parse_ack(c.read_type(PUBACK, timeout), PUBACK, c.level)
            return got, reason
        except (TimeoutError, socket.timeout):
            return None

    def drain(self, sub, until_payload, timeout=10.0):
        """Receives and acknowledges PUBLISH packets until one carries `until_payload`."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            pub = parse_publish(sub.read_type(PUBLISH, max(0.1, deadline - time.monotonic())),
                                sub.level)
            sub.ack(pub)
            got.append(pub.payload)
            if pub.payload == until_payload:
                return got

    def test_full_disk_refuses_qos1_keeps_qos0_and_recovers(self):
        sub = self.client("df-sub", props=[(SESSION_EXPIRY_INTERVAL, 600)], clean=False)
        self.assertEqual(sub.subscribe([("df/#", 1)]), [1])
        pub5 = self.client("df-pub5")
        pub4 = self.client("df-pub4", level=4)
        self.assertEqual(pub5.publish("df/a", b"before", qos=1), 0)
        self.assertEqual(self.drain(sub, b"before"), [b"before"])

        filler = self.fill_disk()
        # Preallocated store files may take a few more writes. Then the store fails: messages
        # waiting for it are not acknowledged; after a second their publisher is disconnected
        # (DISCONNECT 0x97), and new QoS 1 messages are refused at once with PUBACK 0x97.
        acked = []
        refused = disconnected = False
        for i in range(400):
            payload = b"full-%d-" % i + PAYLOAD
            try:
                pid = self.send_qos1(pub5, "df/a", payload)
                ack = self.read_puback(pub5, 0.5)
            except (Closed, OSError):
                reasons = [parse_disconnect(p).reason for p in pub5.backlog if p.type == DISCONNECT]
                self.assertEqual(reasons, [0x97], "expected DISCONNECT 0x97 before the close")
                disconnected = True
                pub5 = self.client("df-pub5")
                continue
            if ack is None:
                continue  # waits for the store
            self.assertEqual(ack[0], pid)
            if ack[1] == 0x97:  # quota exceeded: the store cannot write
                refused = True
                break
            self.assertEqual(ack[1], 0, "unexpected PUBACK reason")
            acked.append(payload)
        self.assertTrue(refused, "no PUBACK 0x97 although the disk is full\n" +
                        self.broker.dump())
        self.assertTrue(disconnected, "the publisher waiting for the store was not told")
        self.broker.wait_for_log(r"store write failed \(disk full\)")

        # MQTT 3.1.1 has no way to refuse: no PUBACK while the condition lasts.
        self.send_qos1(pub4, "df/v3", b"v3-while-full")
        self.assertIsNone(self.read_puback(pub4, 1.0), "3.1.1 PUBLISH acknowledged on a full disk")

        # What was acknowledged reaches the subscriber while the disk is full, and QoS 0 still
        # flows (the subscriber reads everything first: a backlogged reader loses QoS 0).
        received = []
        if acked:
            received += self.drain(sub, acked[-1], timeout=20)
        pub5.publish("df/q0", b"qos0-while-full", qos=0)
        received += self.drain(sub, b"qos0-while-full")

        os.remove(filler)
        # Acknowledgements resume: the held messages are acknowledged once written, and a new
        # message is accepted.
        deadline = time.monotonic() + 20
        while True:
            pid = self.send_qos1(pub5, "df/a", b"after")
            ack = self.read_puback(pub5, 1.0)
            while ack is not None and ack[0] != pid:
                self.assertEqual(ack[1], 0)  # a held message, acknowledged at last
                ack = self.read_puback(pub5, 1.0)
            if ack is not None and ack[1] == 0:
                break
            self.assertLess(time.monotonic(), deadline,
                            "QoS 1 still refused after space returned\n" + self.broker.dump())
            time.sleep(0.2)
        self.broker.wait_for_log("store writable again")

        # Every message acknowledged with success reaches the persistent subscriber.
        received += self.drain(sub, b"after", timeout=20)
        for payload in acked + [b"after"]:
            self.assertIn(payload, received)


if __name__ == "__main__":
    unittest.main()
