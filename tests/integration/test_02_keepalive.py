"""Keep-alive, PINGREQ/PINGRESP, connect timeout and the max_keep_alive limit."""

import time
import unittest

from harness import (SERVER_KEEP_ALIVE, BrokerTestCase, Packet, connect, expect_closed,
                     parse_connack, parse_disconnect, pingreq, read_packet)

PINGRESP = Packet(13, 0, b"")


class PingTest(BrokerTestCase):

    def test_pingreq_gets_pingresp_for_every_level(self):
        for level in (3, 4, 5):
            with self.subTest(level=level):
                s, _ = self.session(level=level, client_id=f"ping-{level}")
                for _ in range(3):
                    s.sendall(pingreq())
                    self.assertEqual(read_packet(s), PINGRESP)

    def test_pingreq_with_flags_or_body_is_malformed(self):
        for bad in (b"\xc1\x00", b"\xc0\x01\x00"):
            for level in (4, 5):
                with self.subTest(bad=bad, level=level):
                    s, _ = self.session(level=level, client_id="bad-ping")
                    s.sendall(bad)
                    if level == 5:
                        self.expect_disconnect(s, 0x81)
                    else:
                        expect_closed(s)


class KeepAliveTest(BrokerTestCase):
    """keep_alive = 1 s: the broker must act after 1.5 s of silence [MQTT-3.1.2-24]."""

    def assert_closed_by_keep_alive(self, level):
        s, _ = self.session(level=level, client_id=f"ka-{level}", keep_alive=1)
        started = time.monotonic()
        if level == 5:
            d = parse_disconnect(read_packet(s, timeout=4))
            self.assertEqual(d.reason, 0x8D, f"DISCONNECT reason 0x{d.reason:02x}")
        expect_closed(s, timeout=4)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 1.4, "closed before 1.5 x keep-alive")
        self.assertLess(elapsed, 3.0, "closed too late")
        self.broker.wait_for_log(rf"client disconnected: id=ka-{level} .*reason=0x8d")

    def test_v311_keep_alive_timeout_closes(self):
        self.assert_closed_by_keep_alive(4)

    def test_v5_keep_alive_timeout_sends_disconnect_0x8d(self):
        self.assert_closed_by_keep_alive(5)

    def test_activity_resets_the_timer(self):
        # Pings every 0.5 s for 3 s, twice the 1.5 s grace period: the connections stay up.
        # A 3.1.1 and a v5 client run side by side.
        socks = [self.session(level=level, client_id=f"busy-{level}", keep_alive=1)[0]
                 for level in (4, 5)]
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            # The read doubles as the 0.5 s pause: nothing may arrive in between.
            with self.assertRaises(TimeoutError):
                read_packet(socks[0], timeout=0.5)
            for s in socks:
                s.sendall(pingreq())
            for s in socks:
                self.assertEqual(read_packet(s), PINGRESP)
        with self.assertRaises(TimeoutError):
            read_packet(socks[1], timeout=0.01)  # in particular no DISCONNECT 0x8D

    def test_keep_alive_zero_disables_the_timeout(self):
        s, _ = self.session(level=4, client_id="ka-zero", keep_alive=0)
        with self.assertRaises(TimeoutError):
            read_packet(s, timeout=2.0)  # well past 1.5 x any keep-alive of one second
        s.sendall(pingreq())
        self.assertEqual(read_packet(s), PINGRESP)

    def test_partial_packets_do_not_count_as_activity(self):
        # The timer is about complete Control Packets; bytes of a packet that never completes
        # must not keep the connection alive for ever.
        s, _ = self.session(level=4, client_id="ka-partial", keep_alive=1)
        started = time.monotonic()
        s.sendall(b"\xe0")  # first byte of a DISCONNECT, never finished
        expect_closed(s, timeout=4)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 1.4)
        self.assertLess(elapsed, 3.0)


class ConnectTimeoutTest(BrokerTestCase):
    CONFIG = '[limits]\nconnect_timeout = "500ms"\n'

    def test_silent_socket_is_closed(self):
        s = self.raw()
        started = time.monotonic()
        expect_closed(s, timeout=3)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.4)
        self.assertLess(elapsed, 1.5)

    def test_incomplete_connect_is_closed(self):
        s = self.raw()
        s.sendall(connect(level=4, client_id="slow")[:10])
        started = time.monotonic()
        expect_closed(s, timeout=3)
        self.assertLess(time.monotonic() - started, 1.5)

    def test_connect_within_the_timeout_is_served(self):
        s = self.raw()
        data = connect(level=5, client_id="just-in-time")
        s.sendall(data[:5])
        with self.assertRaises(TimeoutError):
            read_packet(s, timeout=0.3)
        s.sendall(data[5:])
        self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
        # Once connected, the connect timeout no longer applies (keep-alive is 60 s).
        with self.assertRaises(TimeoutError):
            read_packet(s, timeout=0.8)
        s.sendall(pingreq())
        self.assertEqual(read_packet(s), PINGRESP)


class MaxKeepAliveTest(BrokerTestCase):
    CONFIG = "[limits]\nmax_keep_alive = 10\n"

    def test_v5_asking_more_gets_server_keep_alive(self):
        _, ack = self.session(level=5, client_id="ka-more", keep_alive=60)
        self.assertEqual(ack.props.get(SERVER_KEEP_ALIVE), 10)
        self.broker.wait_for_log(r"client connected: id=ka-more .*keep_alive=10s")

    def test_v5_asking_zero_gets_server_keep_alive(self):
        _, ack = self.session(level=5, client_id="ka-zero5", keep_alive=0)
        self.assertEqual(ack.props.get(SERVER_KEEP_ALIVE), 10)

    def test_v5_asking_less_keeps_its_value(self):
        _, ack = self.session(level=5, client_id="ka-less", keep_alive=5)
        self.assertNotIn(SERVER_KEEP_ALIVE, ack.props)
        _, ack = self.session(level=5, client_id="ka-equal", keep_alive=10)
        self.assertNotIn(SERVER_KEEP_ALIVE, ack.props)

    def test_v311_and_v31_asking_more_are_refused(self):
        for level in (3, 4):
            for keep_alive in (11, 60, 0):
                with self.subTest(level=level, keep_alive=keep_alive):
                    s = self.raw()
                    s.sendall(connect(level=level, client_id="ka-v3", keep_alive=keep_alive))
                    ack = parse_connack(read_packet(s), level)
                    self.assertEqual(ack.code, 0x02)
                    expect_closed(s)

    def test_v311_asking_at_most_the_maximum_is_accepted(self):
        for keep_alive in (1, 10):
            self.session(level=4, client_id=f"ka-ok-{keep_alive}", keep_alive=keep_alive)


class ServerKeepAliveIsEnforcedTest(BrokerTestCase):
    CONFIG = "[limits]\nmax_keep_alive = 1\n"

    def test_v5_client_without_keep_alive_is_held_to_the_server_value(self):
        s, ack = self.session(level=5, client_id="held", keep_alive=0)
        self.assertEqual(ack.props.get(SERVER_KEEP_ALIVE), 1)
        started = time.monotonic()
        d = parse_disconnect(read_packet(s, timeout=4))
        self.assertEqual(d.reason, 0x8D)
        expect_closed(s)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 1.4)
        self.assertLess(elapsed, 3.0)


if __name__ == "__main__":
    unittest.main()
