"""Hostile input: malformed packets, half-open and trickling connections, floods.

Every packet here is built by hand from the specification (harness.py's builders or raw bytes
written out below), never with Tern's codec. MQTT 5 connections must get DISCONNECT with the
exact reason code the specification names, MQTT 3.1.1 connections are closed
[MQTT-4.13.1-1]. After every test the broker must still serve: a fresh subscriber receives a
fresh publisher's message, and the broker's resident memory stays within a generous bound of
what it was when the class started.

test_03_malformed covers the malformed packets it lists (reserved type 0, fixed-header flags,
5-byte remaining length, QoS 3 PUBLISH, wildcards and invalid UTF-8 in PUBLISH topics and client
identifiers, second CONNECT, duplicate and unknown properties in CONNECT, oversize packets); this
file adds the rest of the list and the resource attacks.
"""

import resource
import socket
import time
import unittest

from harness import (PAYLOAD_FORMAT_INDICATOR, SUBACK, TOPIC_ALIAS, BrokerTestCase, Closed,
                     connect, disconnect, expect_closed, fixed_header, packet, parse_connack,
                     properties, publish, read_packet, subscribe, u16, utf8, varint)

MALFORMED, PROTOCOL_ERROR, QUOTA_EXCEEDED = 0x81, 0x82, 0x97
TOPIC_FILTER_INVALID, TOPIC_NAME_INVALID, TOPIC_ALIAS_INVALID = 0x8F, 0x90, 0x94
PACKET_TOO_LARGE = 0x95
CONNECT_TIMEOUT = 1.0  # seconds, as configured below


def resident_memory_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raise_own_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class HostileTestCase(BrokerTestCase):
    CONFIG = (f'[limits]\nconnect_timeout = "{int(CONNECT_TIMEOUT * 1000)}ms"\n'
              "[sessions]\nmax_subscriptions = 1000\n")
    # Generous: the broker may keep allocator caches after a flood, but must not hold on to
    # what an attacker announced (e.g. 256 MB).
    RSS_GROWTH_LIMIT_KIB = 64 * 1024

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rss_at_start = resident_memory_kib(cls.broker.proc.pid)

    def tearDown(self):
        super().tearDown()  # closes this test's sockets, checks a fresh client is served
        self.assert_round_trip()
        growth = resident_memory_kib(self.broker.proc.pid) - self.rss_at_start
        self.assertLess(growth, self.RSS_GROWTH_LIMIT_KIB,
                        f"broker resident memory grew by {growth} KiB")

    def assert_round_trip(self):
        """Another client still subscribes, publishes and receives."""
        with self.broker.connect() as sub, self.broker.connect() as pub:
            sub.sendall(connect(level=5, client_id="rt-sub") + subscribe(1, [("rt/x", 0)], level=5))
            self.assertEqual(parse_connack(read_packet(sub), 5).code, 0)
            self.assertEqual(read_packet(sub).type, SUBACK)
            pub.sendall(connect(level=4, client_id="rt-pub") + publish("rt/x", b"alive"))
            self.assertEqual(parse_connack(read_packet(pub)).code, 0)
            got = read_packet(sub)
            self.assertEqual(got.type, 3)
            self.assertTrue(got.body.endswith(b"alive"))

    def check(self, data, v5_reason, levels=(4, 5)):
        """Sends `data` on a connected session of each level: MQTT 5 expects DISCONNECT with
        exactly `v5_reason`, 3.1.1 a closed connection."""
        for level in levels:
            with self.subTest(level=level):
                s, _ = self.session(level=level, client_id=f"hostile-{level}")
                s.sendall(data[level] if isinstance(data, dict) else data)
                if level == 5:
                    self.expect_disconnect(s, v5_reason)
                else:
                    expect_closed(s)


class MalformedPacketTest(HostileTestCase):

    def test_reserved_packet_type_15_before_mqtt5(self):
        # Type 15 (AUTH) is reserved in 3.1.1.
        self.check(b"\xf0\x00", None, levels=(4,))

    def test_truncated_property_block(self):
        # A PUBLISH whose property length says 10 bytes where 2 follow, then the packet ends.
        body = utf8("t") + varint(10) + bytes([PAYLOAD_FORMAT_INDICATOR, 1])
        self.check(packet(0x30, body), MALFORMED, levels=(5,))

    def test_property_cut_inside_its_value(self):
        # Topic Alias is a two-byte integer; only one byte is inside the property block.
        body = utf8("t") + varint(2) + bytes([TOPIC_ALIAS, 0x00])
        self.check(packet(0x30, body), MALFORMED, levels=(5,))

    def test_nul_character_in_publish_topic(self):
        # [MQTT-1.5.4-2]: U+0000 in a UTF-8 string makes the packet malformed.
        self.check({4: publish(b"a/\x00/b", b"x", level=4),
                    5: publish(b"a/\x00/b", b"x", level=5)}, MALFORMED)

    def test_overlong_utf8_in_subscription_filter(self):
        self.check({4: subscribe(1, [(b"a/\xc0\xaf", 0)], level=4),
                    5: subscribe(1, [(b"a/\xc0\xaf", 0)], level=5)}, MALFORMED)

    def test_packet_identifier_zero(self):
        # [MQTT-2.2.1-3]: QoS > 0 PUBLISH, SUBSCRIBE and UNSUBSCRIBE need a non-zero identifier.
        for qos in (1, 2):
            with self.subTest(qos=qos):
                self.check({4: publish("a", b"x", qos=qos, packet_id=0, level=4),
                            5: publish("a", b"x", qos=qos, packet_id=0, level=5)}, MALFORMED)
        self.check({4: subscribe(0, [("a", 0)], level=4), 5: subscribe(0, [("a", 0)], level=5)},
                   MALFORMED)

    def test_subscribe_without_filters(self):
        # [MQTT-3.8.3-2]: a SUBSCRIBE without a topic filter is a Protocol Error.
        self.check({4: subscribe(1, [], level=4), 5: subscribe(1, [], level=5)}, PROTOCOL_ERROR)

    def test_subscribe_with_qos_3(self):
        # [MQTT-3.8.3-4]: a requested QoS of 3 is malformed.
        self.check({4: subscribe(1, [("a", 3)], level=4), 5: subscribe(1, [("a", 3)], level=5)},
                   MALFORMED)

    def test_property_included_twice(self):
        props = [(PAYLOAD_FORMAT_INDICATOR, 0), (PAYLOAD_FORMAT_INDICATOR, 0)]
        self.check(publish("a", b"x", props=props, level=5), PROTOCOL_ERROR, levels=(5,))

    def test_unknown_property_identifier(self):
        body = utf8("a") + varint(2) + bytes([0x7F, 0x00]) + b"x"
        self.check(packet(0x30, body), MALFORMED, levels=(5,))

    def test_topic_alias_zero_and_beyond_the_maximum(self):
        # [MQTT-3.3.2-8], [MQTT-3.3.2-9]: 0 and values above the announced Topic Alias Maximum
        # (64 by default) are invalid.
        for alias in (0, 65, 0xFFFF):
            with self.subTest(alias=alias):
                self.check(publish("a", b"x", props=[(TOPIC_ALIAS, alias)], level=5),
                           TOPIC_ALIAS_INVALID, levels=(5,))

    def test_remaining_length_announcing_256_mb(self):
        # The largest Remaining Length there is: refused from the fixed header alone, with
        # nothing allocated for it (the RSS check in tearDown would see 256 MB).
        huge = b"\x30\xff\xff\xff\x7f"
        self.check(huge, PACKET_TOO_LARGE)
        s = self.raw()  # as the very first packet: closed, no CONNACK for a CONNECT never read
        s.sendall(b"\x10\xff\xff\xff\x7f")
        expect_closed(s)


class HalfOpenTest(HostileTestCase):

    def closed_after(self, s, started):
        expect_closed(s, timeout=CONNECT_TIMEOUT + 3)
        return time.monotonic() - started

    def test_silent_socket_is_closed_at_the_connect_timeout(self):
        started = time.monotonic()
        s = self.raw()
        elapsed = self.closed_after(s, started)
        self.assertGreaterEqual(elapsed, CONNECT_TIMEOUT * 0.9)
        self.assertLess(elapsed, CONNECT_TIMEOUT + 1.5)

    def test_half_a_connect_is_closed_at_the_connect_timeout(self):
        data = connect(level=5, client_id="half")
        started = time.monotonic()
        s = self.raw()
        s.sendall(data[:len(data) // 2])
        elapsed = self.closed_after(s, started)
        self.assertGreaterEqual(elapsed, CONNECT_TIMEOUT * 0.9)
        self.assertLess(elapsed, CONNECT_TIMEOUT + 1.5)

    def test_slowloris_trickle_does_not_extend_the_connect_timeout(self):
        # One byte every 100 ms of a 70-byte CONNECT would take 7 s; each byte is a read, but
        # none completes a packet, so the connect deadline stays where it was.
        data = connect(level=4, client_id="s" * 56)
        started = time.monotonic()
        s = self.raw()
        closed_at = None
        for byte in data:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic() - started
                break
            s.settimeout(0.1)
            try:
                if s.recv(1) == b"":
                    closed_at = time.monotonic() - started
                    break
                self.fail("the broker answered a CONNECT it never completely received")
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_at = time.monotonic() - started
                break
        self.assertIsNotNone(closed_at, "the trickling client was never closed")
        self.assertLess(closed_at, CONNECT_TIMEOUT + 1.5)
        self.broker.wait_for_log(r"no CONNECT within the connect timeout")

    def test_many_silent_sockets_are_all_closed(self):
        socks = [self.raw() for _ in range(200)]
        started = time.monotonic()
        for s in socks:
            expect_closed(s, timeout=max(0.1, CONNECT_TIMEOUT + 3 - (time.monotonic() - started)))


class FloodTest(HostileTestCase):

    def test_connect_flood(self):
        """2,000 CONNECTs in bursts of 500 open sockets: every one answered, in bounded time."""
        limit = raise_own_file_limit()
        burst = min(500, limit - 100)
        started = time.monotonic()
        done = 0
        while done < 2000:
            socks = []
            for i in range(min(burst, 2000 - done)):
                s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
                s.sendall(connect(level=(4, 5)[i % 2], client_id=f"flood-{done + i}"))
                socks.append(s)
            for i, s in enumerate(socks):
                ack = parse_connack(read_packet(s, timeout=10), (4, 5)[i % 2])
                self.assertEqual(ack.code, 0)
            for s in socks:
                s.sendall(disconnect())
                s.close()
            done += len(socks)
        self.assertLess(time.monotonic() - started, 60)

    def test_subscribe_storm_hits_the_subscription_limit(self):
        """20,000 SUBSCRIBEs from one client: the first 1,000 filters are granted, every other
        one is refused with 0x97 (3.1.1: 0x80), and the client stays connected."""
        for level, refused in ((5, QUOTA_EXCEEDED), (4, 0x80)):
            with self.subTest(level=level):
                s, _ = self.session(level=level, client_id=f"storm-{level}")
                data = b"".join(subscribe(i % 65535 + 1, [(f"storm/{i}", 0)], level=level)
                                for i in range(20000))
                s.sendall(data)
                granted = refused_count = 0
                for _ in range(20000):
                    ack = read_packet(s, timeout=10)
                    self.assertEqual(ack.type, SUBACK)
                    code = ack.body[-1]
                    granted += code == 0
                    refused_count += code == refused
                self.assertEqual(granted, 1000)
                self.assertEqual(refused_count, 19000)
                s.sendall(b"\xc0\x00")
                self.assertEqual(read_packet(s).type, 13)

    def test_topic_of_65535_levels_is_refused(self):
        # A UTF-8 string holds at most 65,535 bytes, so about 65,536 levels ("/" repeated) is
        # the deepest topic MQTT can carry (100,000 levels cannot be encoded). The default
        # level limit (128) refuses it with the reason codes for a well-formed topic that is not
        # accepted.
        deep = "/" * 65534
        s, _ = self.session(level=5, client_id="deep-5")
        s.sendall(publish(deep, b"x", qos=1, packet_id=7, level=5))
        ack = read_packet(s)
        self.assertEqual(ack.type, 4)
        self.assertEqual(ack.body[:3], u16(7) + bytes([TOPIC_NAME_INVALID]))
        s.sendall(subscribe(8, [(deep, 0)], level=5))
        ack = read_packet(s)
        self.assertEqual(ack.type, SUBACK)
        self.assertEqual(ack.body[-1], TOPIC_FILTER_INVALID)
        s.sendall(publish(deep, b"x", level=5))  # QoS 0 has no acknowledgement to refuse in
        self.expect_disconnect(s, TOPIC_NAME_INVALID)
        s4, _ = self.session(level=4, client_id="deep-4")
        s4.sendall(subscribe(8, [(deep, 0)], level=4))
        self.assertEqual(read_packet(s4).body[-1], 0x80)
        s4.sendall(publish(deep, b"x", level=4))
        expect_closed(s4)
        self.broker.wait_for_log(r"limit reached: topic limit")


if __name__ == "__main__":
    unittest.main()
