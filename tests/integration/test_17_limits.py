"""Overload limits against the real broker: connection limits (broker-wide and per listener),
connection rate per address, topic limits, the memory ceiling, slow consumers, and the open
file limit raised at start. Each limit must answer as docs/configuration.md says and leave a
log line."""

import re
import shutil
import socket
import ssl
import tempfile
import time
import unittest

from harness import (SUBACK, Broker, BrokerTestCase, Closed, connect, expect_closed, free_port,
                     parse_connack, publish, read_packet, subscribe)
from tls_certs import make_pki

QUOTA_EXCEEDED, SERVER_BUSY, TOPIC_FILTER_INVALID, TOPIC_NAME_INVALID = 0x97, 0x89, 0x8F, 0x90
SERVER_UNAVAILABLE_V3 = 3


def wait_until(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.02)


class LimitTestCase(BrokerTestCase):

    def connack_code(self, level, client_id):
        """Connects and returns the CONNACK code, or None when closed without one."""
        s = self.raw()
        try:
            s.sendall(connect(level=level, client_id=client_id))
            return parse_connack(read_packet(s), level).code
        except (Closed, ConnectionResetError, BrokenPipeError):
            return None

    def wait_until_accepted(self, level=4):
        def accepted():
            with self.broker.connect() as s:
                try:
                    s.sendall(connect(level=level, client_id="probe"))
                    return parse_connack(read_packet(s), level).code == 0
                except (Closed, ConnectionResetError, BrokenPipeError):
                    return False
        wait_until(accepted, what="a new connection accepted")


class MaxConnectionsTest(LimitTestCase):
    CONFIG = "[limits]\nmax_connections = 5\n"

    def test_connections_beyond_the_limit_are_refused_then_closed_at_accept(self):
        held = [self.session(level=4, client_id=f"held-{i}")[0] for i in range(5)]
        # Within the margin: CONNECT answered with quota exceeded / server unavailable.
        s = self.raw()
        s.sendall(connect(level=5, client_id="over-5"))
        self.assertEqual(parse_connack(read_packet(s), 5).code, QUOTA_EXCEEDED)
        expect_closed(s)
        s = self.raw()
        s.sendall(connect(level=4, client_id="over-4"))
        self.assertEqual(parse_connack(read_packet(s), 4).code, SERVER_UNAVAILABLE_V3)
        expect_closed(s)
        self.broker.wait_for_log(r"limit reached: connection limit: refusing connection from "
                                 r"127\.0\.0\.1")
        # Fill the margin (16 sockets) with silent connections; the next is closed at once.
        margin = [self.raw() for _ in range(16)]
        time.sleep(0.2)  # let the listener account for them before the next one arrives
        s = self.raw()
        started = time.monotonic()
        expect_closed(s, timeout=1.0)
        self.assertLess(time.monotonic() - started, 0.9, "closed at accept, not at a timeout")
        # Freed slots are usable again.
        for sock in held + margin:
            sock.close()
        self.sockets.clear()
        self.wait_until_accepted()


class ListenerConnectionLimitTest(LimitTestCase):
    CONFIG = ('[[listeners]]\naddress = "127.0.0.1"\nmax_connections = 3\n')

    def test_listener_limit(self):
        for i in range(3):
            self.session(level=5, client_id=f"l-{i}")
        self.assertEqual(self.connack_code(5, "l-over"), QUOTA_EXCEEDED)
        self.broker.wait_for_log(r"limit reached: listener connection limit")
        for s in self.sockets:
            s.close()
        self.sockets.clear()
        self.wait_until_accepted(level=5)


class ConnectionRateTest(LimitTestCase):
    CONFIG = "[limits]\nmax_connection_rate = 2\nconnection_burst = 5\n"

    def test_fast_reconnects_from_one_address_are_closed_at_accept(self):
        time.sleep(2.5)  # the start-up probe's token is back
        codes = [self.connack_code(4, f"rate-{i}") for i in range(12)]
        accepted = codes.count(0)
        self.assertGreaterEqual(accepted, 5)
        self.assertLessEqual(accepted, 7)  # the burst, plus what refilled meanwhile
        self.assertEqual(codes.count(None), 12 - accepted)
        self.broker.wait_for_log(r"limit reached: connection rate limit: closed connection from "
                                 r"127\.0\.0\.1")
        time.sleep(1.0)  # tokens for the health check after the test
        self.wait_until_accepted()


class TopicLimitTest(LimitTestCase):
    CONFIG = "[limits]\nmax_topic_length = 32\nmax_topic_levels = 4\n"

    def test_publish_and_subscribe_beyond_the_limits(self):
        s, _ = self.session(level=5, client_id="topics")
        s.sendall(publish("a/b/c/d", b"ok", qos=1, packet_id=1, level=5))
        ack = read_packet(s)
        self.assertEqual(ack.type, 4)
        self.assertTrue(len(ack.body) == 2 or ack.body[2] < 0x80)  # four levels: accepted
        for pid, topic in ((2, "a/b/c/d/e"), (3, "x" * 33)):
            s.sendall(publish(topic, b"x", qos=1, packet_id=pid, level=5))
            ack = read_packet(s)
            self.assertEqual((ack.type, ack.body[2:3]), (4, bytes([TOPIC_NAME_INVALID])), topic)
        s.sendall(subscribe(4, [("a/+/c/d", 0), ("a/+/c/d/#", 0), ("y" * 33, 1)], level=5))
        ack = read_packet(s)
        self.assertEqual(ack.type, SUBACK)
        self.assertEqual(list(ack.body[-3:]), [0, TOPIC_FILTER_INVALID, TOPIC_FILTER_INVALID])
        s.sendall(publish("a/b/c/d/e", b"x", level=5))
        self.expect_disconnect(s, TOPIC_NAME_INVALID)
        s4, _ = self.session(level=4, client_id="topics-4")
        s4.sendall(publish("a/b/c/d/e", b"x", qos=1, packet_id=1))
        expect_closed(s4)
        self.broker.wait_for_log(r"limit reached: topic limit: too many topic levels")
        self.broker.wait_for_log(r"limit reached: topic filter limit")


def slow_subscriber(broker, client_id, topic, level=5, qos=0):
    """A subscriber with a tiny receive buffer that then reads nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(2.0)
    s.connect(("127.0.0.1", broker.port))
    s.sendall(connect(level=level, client_id=client_id, keep_alive=0)
              + subscribe(1, [(topic, qos)], level=level))
    assert parse_connack(read_packet(s), level).code == 0
    assert read_packet(s).type == SUBACK
    return s


def flood(broker, topic, messages, size=64 * 1024, qos=0, until=None, rounds=1):
    """Publishes `messages` per round, waiting for each round to be handled (PINGREQ), for up
    to `rounds` rounds or until regex `until` shows in the broker's log."""
    with broker.connect() as p:
        p.sendall(connect(level=4, client_id="flooder", keep_alive=0))
        assert parse_connack(read_packet(p)).code == 0
        payload = b"m" * size
        for _ in range(rounds):
            for i in range(messages):
                p.sendall(publish(topic, payload, qos=qos, packet_id=i % 65535 + 1))
            p.sendall(b"\xc0\x00")  # PINGREQ: its answer means every PUBLISH was handled
            while read_packet(p, timeout=10).type != 13:
                pass
            if until is not None and re.search(until, broker.log()):
                return


class MemoryCeilingTest(LimitTestCase):
    # The slow consumer's output alone passes the 1 MiB ceiling long before max_output_buffer.
    CONFIG = ("[limits]\nmax_memory = 1048576\nmax_output_buffer = 67108864\n"
              "slow_consumer_timeout = 0\n")

    def test_above_the_ceiling_qos0_is_shed_and_connections_refused(self):
        slow = slow_subscriber(self.broker, "mem-slow", "mem/#")
        self.sockets.append(slow)
        # 1 MiB rounds towards a client that reads nothing. Its output enters the ledger after
        # each event, so a round that arrives in one batch may pass before the ceiling shows;
        # a later round then meets it.
        shed = (r"limit reached: memory ceiling \(QoS 0 message for slow client dropped\): "
                r"mem-slow \(address 127\.0\.0\.1")
        flood(self.broker, "mem/x", 16, until=shed, rounds=16)
        self.broker.wait_for_log(shed)

        # Shedding holds the total near the ceiling, and the shared total trails each thread's
        # last changes by up to 64 KiB, so a probe may land just below it: top the slow client's
        # output up again between probes.
        def refused(level, client_id, code):
            if self.connack_code(level, client_id) == code:
                return True
            flood(self.broker, "mem/x", 4)
            return False

        wait_until(lambda: refused(5, "mem-new-5", SERVER_BUSY), what="MQTT 5 CONNECT refused")
        wait_until(lambda: refused(4, "mem-new-4", SERVER_UNAVAILABLE_V3),
                   what="MQTT 3.1.1 CONNECT refused")
        self.broker.wait_for_log(r"limit reached: memory ceiling \(connection refused\)")
        slow.close()  # its output goes, and with it the pressure
        self.wait_until_accepted()
        # Not a resident-memory figure: Tern's own accounting stayed bounded, so RSS did too.
        with open(f"/proc/{self.broker.proc.pid}/status", encoding="ascii") as f:
            rss_kib = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        self.assertLess(rss_kib, 256 * 1024)


class SlowConsumerTest(LimitTestCase):
    CONFIG = "[limits]\nmax_output_buffer = 65536\nslow_consumer_timeout = \"1s\"\n"

    def test_a_client_that_stops_reading_is_disconnected(self):
        slow = slow_subscriber(self.broker, "slowpoke", "slow/#", qos=1)
        self.sockets.append(slow)
        started = time.monotonic()
        flood(self.broker, "slow/x", 160, qos=1)  # 10 MiB: more than the kernel buffers
        self.broker.wait_for_log(r"limit reached: slow consumer: client 'slowpoke' read "
                                 r"nothing of \d+ bytes for 1000 ms", timeout=6)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        # Reading now drains what was in flight; the connection ends (the DISCONNECT 0x97 sits
        # behind the backlog and may be cut by the close linger).
        reasons = []
        with self.assertRaises(Closed):
            while True:
                pkt = read_packet(slow, timeout=5)
                if pkt.type == 14:
                    reasons.append(pkt.body[0])
        self.assertIn(reasons, ([], [QUOTA_EXCEEDED]))
        self.broker.wait_for_log(r"client disconnected: id=slowpoke .*reason=0x97")


class TlsListenerLimitsTest(unittest.TestCase):
    """The limits hold on a TLS listener too: its connection limit (refused after the
    handshake, with CONNACK), topic limits, and the slow-consumer timer over TLS output."""

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="tern-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, True)
        cls.pki = make_pki(cls.pki_dir)
        cls.tls_port = free_port()
        config = ("[storage]\ndurability = \"memory\"\n"
                  "[limits]\nmax_topic_levels = 4\nmax_output_buffer = 65536\n"
                  "slow_consumer_timeout = \"1s\"\n"
                  "[[listeners]]\naddress = \"127.0.0.1\"\n"
                  f"[[listeners]]\naddress = \"127.0.0.1\"\nport = {cls.tls_port}\n"
                  f"protocol = \"mqtts\"\nmax_connections = 2\n"
                  f"certfile = \"{cls.pki['server.crt']}\"\nkeyfile = \"{cls.pki['server.key']}\"\n")
        cls.broker = Broker(config=config).start()
        cls.addClassCleanup(cls.broker.stop)

    def setUp(self):
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close()

    def tls(self, receive_buffer=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.pki["ca.crt"])
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        raw.settimeout(5.0)
        raw.connect(("127.0.0.1", self.tls_port))
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sockets.append(s)
        return s

    def connack(self, s, client_id, level=5):
        s.sendall(connect(level=level, client_id=client_id, keep_alive=0))
        return parse_connack(read_packet(s), level).code

    def test_listener_connection_limit_over_tls(self):
        held = [self.tls() for _ in range(2)]
        for i, s in enumerate(held):
            self.assertEqual(self.connack(s, f"tls-held-{i}"), 0)
        over = self.tls()  # the handshake completes; CONNECT is refused
        self.assertEqual(self.connack(over, "tls-over"), QUOTA_EXCEEDED)
        expect_closed(over)
        self.broker.wait_for_log(r"limit reached: listener connection limit")
        for s in self.sockets:
            s.close()
        self.sockets.clear()
        wait_until(lambda: self.connack(self.tls(), "tls-again") == 0,
                   what="a TLS connection accepted again")

    def test_topic_levels_over_tls(self):
        s = self.tls()
        self.assertEqual(self.connack(s, "tls-topics"), 0)
        s.sendall(publish("a/b/c/d/e", b"x", qos=1, packet_id=7, level=5))
        ack = read_packet(s)
        self.assertEqual((ack.type, ack.body[2:3]), (4, bytes([TOPIC_NAME_INVALID])))

    def test_slow_consumer_over_tls_is_disconnected(self):
        slow = self.tls(receive_buffer=4096)
        slow.sendall(connect(level=5, client_id="tls-slowpoke", keep_alive=0)
                     + subscribe(1, [("tslow/#", 1)], level=5))
        self.assertEqual(parse_connack(read_packet(slow), 5).code, 0)
        self.assertEqual(read_packet(slow).type, SUBACK)
        flood(self.broker, "tslow/x", 160, qos=1)  # 10 MiB: more than the kernel buffers
        self.broker.wait_for_log(r"limit reached: slow consumer: client 'tls-slowpoke' read "
                                 r"nothing of \d+ bytes for 1000 ms", timeout=6)
        self.broker.wait_for_log(r"client disconnected: id=tls-slowpoke .*reason=0x97")


class FileLimitTest(LimitTestCase):

    def test_soft_file_limit_is_raised_to_the_hard_limit(self):
        with open(f"/proc/{self.broker.proc.pid}/limits", encoding="ascii") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        soft, hard = line.split()[3:5]
        self.assertEqual(soft, hard)
        self.broker.wait_for_log(rf"open file limit {soft}; max connections \d+")


if __name__ == "__main__":
    unittest.main()
