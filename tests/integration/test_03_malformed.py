"""Malformed and hostile input over raw sockets; framing across reads.

Every test ends (tearDown) by checking that a fresh client is still served.
"""

import re
import time
import unittest

from harness import (MAXIMUM_PACKET_SIZE, Closed, RECEIVE_MAXIMUM, REASON_STRING,
                     SESSION_EXPIRY_INTERVAL, TOPIC_ALIAS, USER_PROPERTY, BrokerTestCase, Packet,
                     connect, disconnect, expect_closed, fixed_header, packet, parse_connack,
                     pingreq, properties, publish, read_packet, subscribe, utf8)

PINGRESP = Packet(13, 0, b"")
MALFORMED, PROTOCOL_ERROR, TOPIC_NAME_INVALID, PACKET_TOO_LARGE = 0x81, 0x82, 0x90, 0x95


class MalformedAfterConnectTest(BrokerTestCase):
    """Bad packets from a connected client: MQTT 5 hears DISCONNECT with a reason, then the
    connection closes [MQTT-4.13.1-1]; 3.1/3.1.1 connections are simply closed."""

    def check(self, data, v5_reason, levels=(3, 4, 5), name=None):
        for level in levels:
            with self.subTest(level=level, packet=name or data[:8].hex()):
                s, _ = self.session(level=level, client_id=f"bad-{level}")
                s.sendall(data)
                if level == 5:
                    self.expect_disconnect(s, v5_reason)
                else:
                    expect_closed(s)

    def test_reserved_packet_type_0(self):
        # Type 0 is "Reserved / Forbidden"; the spec allows treating it as either error.
        self.check(b"\x00\x00", (MALFORMED, PROTOCOL_ERROR))

    def test_reserved_fixed_header_flags(self):
        self.check(b"\xc2\x00", MALFORMED, name="PINGREQ with flags 2")
        self.check(b"\xe1\x00", MALFORMED, name="DISCONNECT with flags 1")
        # SUBSCRIBE must have flags 0010 [MQTT-3.8.1-1] (3.1 clients are tolerated with 0000).
        self.check(subscribe(1, [("a/b", 0)], level=4, flags=0x00), MALFORMED, levels=(4,))
        self.check(subscribe(1, [("a/b", 0)], level=5, flags=0x00), MALFORMED, levels=(5,))

    def test_five_byte_remaining_length(self):
        self.check(b"\xc0\xff\xff\xff\xff\x01", MALFORMED)

    def test_non_minimal_remaining_length(self):
        # [MQTT-1.5.5-1]: the minimum number of bytes must be used; 0x80 0x00 encodes 0.
        self.check(b"\xc0\x80\x00", MALFORMED)

    def test_publish_with_qos_3(self):
        self.check(publish("a/b", b"x", level=4, flags=0x06), MALFORMED, levels=(3, 4))
        self.check(publish("a/b", b"x", level=5, flags=0x06), MALFORMED, levels=(5,))

    def test_publish_topic_with_wildcard(self):
        for topic in ("a/+/c", "a/#", "#"):
            self.check(publish(topic, b"x", level=4), TOPIC_NAME_INVALID, levels=(3, 4))
            self.check(publish(topic, b"x", level=5), TOPIC_NAME_INVALID, levels=(5,))

    def test_publish_topic_with_invalid_utf8(self):
        body = utf8(b"a/\xff") + properties() + b"x"
        self.check(packet(0x30, body), (MALFORMED, TOPIC_NAME_INVALID), levels=(5,))
        self.check(packet(0x30, utf8(b"a/\xff") + b"x"), None, levels=(4,))

    def test_duplicate_property_in_disconnect(self):
        # "It is a Protocol Error to include the Reason String more than once".
        data = disconnect(0x00, [(REASON_STRING, "a"), (REASON_STRING, "b")], level=5)
        self.check(data, PROTOCOL_ERROR, levels=(5,))

    def test_property_not_allowed_in_packet(self):
        # Receive Maximum belongs to CONNECT/CONNACK, not DISCONNECT.
        data = disconnect(0x00, [(RECEIVE_MAXIMUM, 10)], level=5)
        self.check(data, (MALFORMED, PROTOCOL_ERROR), levels=(5,))

    def test_disconnect_with_invalid_reason_code(self):
        self.check(packet(0xE0, b"\x05"), MALFORMED, levels=(5,))

    def test_packet_body_shorter_than_its_fields(self):
        # PUBLISH whose topic length says 10 but only 3 bytes follow.
        self.check(packet(0x30, b"\x00\x0aa/b"), MALFORMED, levels=(4, 5))

    def test_second_connect(self):
        # [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
        for level in (3, 4, 5):
            self.check(connect(level=level, client_id="again"), PROTOCOL_ERROR, levels=(level,))

    def test_auth_packet(self):
        # AUTH does not exist before MQTT 5; in MQTT 5 it needs an authentication exchange.
        self.check(b"\xf0\x00", MALFORMED, levels=(3, 4))
        self.check(b"\xf0\x00", PROTOCOL_ERROR, levels=(5,))

    def test_server_only_packets(self):
        self.check(b"\x20\x02\x00\x00", PROTOCOL_ERROR, levels=(4,), name="CONNACK")
        self.check(b"\xd0\x00", PROTOCOL_ERROR, name="PINGRESP")


class MalformedConnectTest(BrokerTestCase):
    """Bad CONNECT packets: MQTT 5 gets CONNACK with a reason code, then close; 3.1/3.1.1
    connections are closed without CONNACK."""

    def refused_v5(self, data, code):
        s = self.raw()
        s.sendall(data)
        ack = parse_connack(read_packet(s), 5)
        allowed = code if isinstance(code, tuple) else (code,)
        self.assertIn(ack.code, allowed, f"CONNACK 0x{ack.code:02x}")
        expect_closed(s)

    def closed(self, data):
        s = self.raw()
        s.sendall(data)
        expect_closed(s)

    def test_invalid_utf8_client_id(self):
        for bad in (b"ab\xffcd", b"\xc0\xaf", b"\xed\xa0\x80", b"nul\x00byte"):
            with self.subTest(client_id=bad):
                self.refused_v5(connect(level=5, client_id=bad), MALFORMED)
                self.closed(connect(level=4, client_id=bad))
                self.closed(connect(level=3, client_id=bad))

    def test_reserved_connect_flag(self):
        # [MQTT-3.1.2-3]: bit 0 of the Connect Flags must be zero.
        self.refused_v5(connect(level=5, client_id="rsv", flags=0x03), MALFORMED)
        self.closed(connect(level=4, client_id="rsv", flags=0x03))

    def test_will_qos_3(self):
        will = dict(topic="w", payload=b"x", qos=3)
        self.refused_v5(connect(level=5, client_id="wq3", will=will), MALFORMED)
        self.closed(connect(level=4, client_id="wq3", will=will))

    def test_will_retain_without_will_flag(self):
        self.refused_v5(connect(level=5, client_id="wr", flags=0x22), MALFORMED)
        self.closed(connect(level=4, client_id="wr", flags=0x22))

    def test_will_topic_with_wildcard(self):
        will = dict(topic="w/#", payload=b"x")
        self.refused_v5(connect(level=5, client_id="wt", will=will), TOPIC_NAME_INVALID)
        self.closed(connect(level=4, client_id="wt", will=will))

    def test_v311_password_without_username(self):
        # [MQTT-3.1.2-22]
        self.closed(connect(level=4, client_id="pw", password=b"secret"))

    def test_duplicate_property_in_connect(self):
        props = [(SESSION_EXPIRY_INTERVAL, 10), (SESSION_EXPIRY_INTERVAL, 20)]
        self.refused_v5(connect(level=5, client_id="dup", props=props), PROTOCOL_ERROR)

    def test_receive_maximum_zero(self):
        self.refused_v5(connect(level=5, client_id="rm0", props=[(RECEIVE_MAXIMUM, 0)]),
                        PROTOCOL_ERROR)

    def test_maximum_packet_size_zero(self):
        self.refused_v5(connect(level=5, client_id="mps0", props=[(MAXIMUM_PACKET_SIZE, 0)]),
                        PROTOCOL_ERROR)

    def test_request_problem_information_out_of_range(self):
        # "It is a Protocol Error to ... have a value other than 0 or 1".
        self.refused_v5(connect(level=5, client_id="rpi", props=[(0x17, 2)]), PROTOCOL_ERROR)

    def test_invalid_utf8_user_name(self):
        self.refused_v5(connect(level=5, client_id="un", username=b"u\xfe"), MALFORMED)
        self.closed(connect(level=4, client_id="un", username=b"u\xfe"))

    def test_unknown_property_id(self):
        self.refused_v5(connect(level=5, client_id="unk", props=b"\x02\x7f\x00"), MALFORMED)

    def test_property_not_allowed_in_connect(self):
        self.refused_v5(connect(level=5, client_id="ta", props=[(TOPIC_ALIAS, 1)]),
                        (MALFORMED, PROTOCOL_ERROR))

    def test_property_length_beyond_packet(self):
        self.refused_v5(connect(level=5, client_id="plen", props=b"\x40\x11"), MALFORMED)

    def test_trailing_bytes_after_connect_payload(self):
        data = connect(level=4, client_id="trail")
        bad = fixed_header(0x10, len(data) - 2 + 3) + data[2:] + b"xyz"
        self.closed(bad)

    def test_connect_with_fixed_header_flags(self):
        data = connect(level=4, client_id="cflags")
        self.closed(bytes([0x11]) + data[1:])

    def test_empty_connect(self):
        self.closed(b"\x10\x00")

    def test_reserved_packet_type_0_first(self):
        self.closed(b"\x00\x00")


class PacketSizeLimitTest(BrokerTestCase):
    CONFIG = "[limits]\nmax_packet_size = 1024\n"

    def test_connack_announces_maximum_packet_size(self):
        _, ack = self.session(level=5, client_id="mps")
        self.assertEqual(ack.props.get(MAXIMUM_PACKET_SIZE), 1024)

    def test_oversize_header_alone_triggers_disconnect_0x95(self):
        # Only the fixed header of a 2000-byte PUBLISH is sent: the broker must not wait for
        # (or buffer) the body.
        s, _ = self.session(level=5, client_id="big5")
        s.sendall(fixed_header(0x30, 2000))
        started = time.monotonic()
        self.expect_disconnect(s, PACKET_TOO_LARGE)
        self.assertLess(time.monotonic() - started, 1.0)
        s4, _ = self.session(level=4, client_id="big4")
        s4.sendall(fixed_header(0x30, 2000))
        expect_closed(s4, timeout=1.0)

    def test_size_boundary_counts_the_fixed_header(self):
        # A DISCONNECT padded with a User Property to exactly 1024 bytes is within the limit;
        # one byte more is too large.
        def padded_disconnect(total):
            overhead = 1 + 2 + 1 + 2 + 1 + 2 + 1 + 2  # hdr, len, reason, plen, id, k, 'k', v
            value = "v" * (total - overhead)
            data = disconnect(0x00, [(USER_PROPERTY, ("k", value))], level=5)
            self.assertEqual(len(data), total)
            return data

        s, _ = self.session(level=5, client_id="edge-ok")
        s.sendall(padded_disconnect(1024))
        expect_closed(s)  # a normal disconnect: nothing sent back
        s, _ = self.session(level=5, client_id="edge-big")
        s.sendall(padded_disconnect(1025))
        self.expect_disconnect(s, PACKET_TOO_LARGE)

    def test_oversize_connect_is_not_accepted(self):
        s = self.raw()
        s.sendall(connect(level=5, client_id="c" * 2000))
        try:
            ack = parse_connack(read_packet(s), 5)
        except Closed:  # closed without CONNACK: fine
            return
        self.assertEqual(ack.code, PACKET_TOO_LARGE)
        expect_closed(s)


class FramingTest(BrokerTestCase):
    """Packets split across reads, and many packets in one read."""

    def test_connect_byte_by_byte(self):
        for level in (4, 5):
            with self.subTest(level=level):
                s = self.raw()
                for byte in connect(level=level, client_id=f"slow-{level}"):
                    s.sendall(bytes([byte]))
                    time.sleep(0.02)  # pacing the sender, not synchronisation
                self.assertEqual(parse_connack(read_packet(s), level).code, 0)
                for byte in pingreq():
                    s.sendall(bytes([byte]))
                    time.sleep(0.02)
                self.assertEqual(read_packet(s), PINGRESP)

    def test_connect_and_three_pingreqs_in_one_send(self):
        for level in (3, 4, 5):
            with self.subTest(level=level):
                s = self.raw()
                s.sendall(connect(level=level, client_id=f"burst-{level}") + pingreq() * 3)
                self.assertEqual(parse_connack(read_packet(s), level).code, 0)
                for _ in range(3):
                    self.assertEqual(read_packet(s), PINGRESP)
                with self.assertRaises(TimeoutError):
                    read_packet(s, timeout=0.1)

    def test_packet_split_inside_the_remaining_length(self):
        # A DISCONNECT with a 2-byte remaining length, split between those two bytes.
        s, _ = self.session(level=5, client_id="split-len")
        data = disconnect(0x00, [(USER_PROPERTY, ("k", "v" * 200))], level=5)
        self.assertGreater(data[1], 0x7F)
        s.sendall(data[:2])
        with self.assertRaises(TimeoutError):
            read_packet(s, timeout=0.1)
        s.sendall(data[2:])
        expect_closed(s)

    def test_many_pingreqs_in_one_send(self):
        s, _ = self.session(level=4, client_id="ping-flood")
        s.sendall(pingreq() * 1000)
        for _ in range(1000):
            self.assertEqual(read_packet(s), PINGRESP)

    def test_bad_packet_after_good_ones_in_the_same_send(self):
        s = self.raw()
        s.sendall(connect(level=5, client_id="mixed") + pingreq() + b"\xc2\x00" + pingreq())
        self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
        self.assertEqual(read_packet(s), PINGRESP)
        self.expect_disconnect(s, MALFORMED)

    def test_garbage_burst_does_not_hurt_the_broker(self):
        s = self.raw()
        s.sendall(bytes(range(256)) * 64)
        expect_closed(s)


class ShardHandOverFramingTest(BrokerTestCase):
    """With several shards a connection may be handed to the shard that owns its client
    identifier after CONNECT. Bytes that arrived together with the CONNECT, and bytes that
    arrive while the hand-over is in progress, must not be lost or reordered."""

    CONFIG = "shards = 4\n"
    VERBOSE = True  # "connection from PEER on shard N" shows the hand-overs
    CLIENTS = 24  # enough identifiers that most belong to another shard than the accepting one

    def assert_hand_overs_happened(self):
        shards_by_peer = {}
        for peer, shard in re.findall(r"connection from (\S+) on shard (\d+)", self.broker.log()):
            shards_by_peer.setdefault(peer, set()).add(shard)
        moved = sum(1 for shards in shards_by_peer.values() if len(shards) > 1)
        self.assertGreater(moved, 0, "no connection was handed to another shard; the test "
                                     "does not exercise what it is meant to")

    def test_pipelined_packets_survive_the_hand_over(self):
        for level in (4, 5):
            socks = []
            for i in range(self.CLIENTS):
                s = self.raw()
                # CONNECT, three PINGREQs and the first byte of a fourth, in one segment.
                s.sendall(connect(level=level, client_id=f"pipe-{level}-{i}") + pingreq() * 3
                          + pingreq()[:1])
                socks.append(s)
            for s in socks:
                s.sendall(pingreq()[1:])
            for i, s in enumerate(socks):
                with self.subTest(level=level, client=i):
                    self.assertEqual(parse_connack(read_packet(s), level).code, 0)
                    for _ in range(4):
                        self.assertEqual(read_packet(s), PINGRESP)
                    with self.assertRaises(TimeoutError):
                        read_packet(s, timeout=0.01)
        self.assert_hand_overs_happened()

    def test_connect_split_across_reads(self):
        for i in range(self.CLIENTS):
            with self.subTest(client=i):
                s = self.raw()
                data = connect(level=5, client_id=f"split-{i}") + pingreq()
                s.sendall(data[:7])
                with self.assertRaises(TimeoutError):
                    read_packet(s, timeout=0.02)
                s.sendall(data[7:])
                self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
                self.assertEqual(read_packet(s), PINGRESP)

    def test_connect_and_disconnect_in_one_send(self):
        for i in range(self.CLIENTS):
            with self.subTest(client=i):
                s = self.raw()
                s.sendall(connect(level=5, client_id=f"brief-{i}") + disconnect(level=5))
                self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
                expect_closed(s)
        self.broker.wait_for_log(r"client disconnected: id=brief-0 .*reason=0x00")

    def test_keep_alive_is_enforced_after_hand_over(self):
        socks = [self.session(level=5, client_id=f"handover-ka-{i}", keep_alive=1)[0]
                 for i in range(8)]
        started = time.monotonic()
        for i, s in enumerate(socks):
            with self.subTest(client=i):
                self.expect_disconnect(s, 0x8D)
                elapsed = time.monotonic() - started
                self.assertGreaterEqual(elapsed, 1.4)
                self.assertLess(elapsed, 3.0)

    def test_protocol_error_after_hand_over_is_reported(self):
        for i in range(8):
            with self.subTest(client=i):
                s = self.raw()
                s.sendall(connect(level=5, client_id=f"handover-bad-{i}") + b"\xc2\x00")
                self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
                self.expect_disconnect(s, MALFORMED)


def resident_memory_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class SlowReaderTest(BrokerTestCase):
    """A client that sends but never reads must not make the broker buffer without limit."""

    FLOOD_BYTES = 48 * 1024 * 1024
    ALLOWED_GROWTH_KIB = 24 * 1024

    def test_memory_stays_bounded_when_a_client_does_not_read(self):
        pid = self.broker.proc.pid
        before = resident_memory_kib(pid)
        s, _ = self.session(level=4, client_id="never-reads", keep_alive=0)
        s.setblocking(False)
        chunk = pingreq() * 32768
        sent, stalled_since = 0, None
        deadline = time.monotonic() + 10
        try:
            while sent < self.FLOOD_BYTES and time.monotonic() < deadline:
                try:
                    sent += s.send(chunk[sent % len(chunk):])  # keeps packets aligned
                    stalled_since = None
                except BlockingIOError:
                    # The broker stopped reading: that is the back-pressure we want.
                    stalled_since = stalled_since or time.monotonic()
                    if time.monotonic() - stalled_since > 0.5:
                        break
                    time.sleep(0.005)
        except (ConnectionResetError, BrokenPipeError):
            pass  # dropping such a client is an acceptable answer too
        growth = resident_memory_kib(pid) - before
        self.assertLess(growth, self.ALLOWED_GROWTH_KIB,
                        f"broker grew by {growth} KiB while a non-reading client sent "
                        f"{sent // 1024} KiB of PINGREQ")


if __name__ == "__main__":
    unittest.main()
