"""CONNECT / CONNACK with real clients (paho-mqtt, mosquitto_sub) and raw sockets."""

import os
import re
import select
import shutil
import subprocess
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from harness import (ASSIGNED_CLIENT_IDENTIFIER, AUTHENTICATION_DATA, AUTHENTICATION_METHOD,
                     MAXIMUM_PACKET_SIZE, REASON_STRING, SERVER_KEEP_ALIVE,
                     SESSION_EXPIRY_INTERVAL, USER_PROPERTY, BrokerTestCase,
                     connect, disconnect, expect_closed, ipv6_loopback_available, parse_connack,
                     pingreq, publish, read_packet)

PINGRESP_BYTES = b"\xd0\x00"
CONNACK_ACCEPTED_V3 = b"\x20\x02\x00\x00"


def connack_v3(code):
    return bytes([0x20, 0x02, 0x00, code])


def read_exactly(sock, n, timeout=2.0):
    sock.settimeout(timeout)
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


class PahoClientTest(BrokerTestCase):
    """The paho-mqtt client library (1.6) connects and disconnects with every protocol level."""

    def run_paho(self, protocol, client_id):
        connected = threading.Event()
        disconnected = threading.Event()
        result = {}

        if protocol == mqtt.MQTTv5:
            client = mqtt.Client(client_id=client_id, protocol=protocol)

            def on_connect(client, userdata, flags, reason, props):
                result["rc"] = reason.value
                result["props"] = props
                connected.set()
        else:
            client = mqtt.Client(client_id=client_id, clean_session=True, protocol=protocol)

            def on_connect(client, userdata, flags, rc):
                result["rc"] = rc
                connected.set()

        def on_disconnect(client, userdata, rc, *rest):
            result["disconnect_rc"] = rc
            disconnected.set()

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.connect("127.0.0.1", self.broker.port, keepalive=30)
        client.loop_start()
        try:
            self.assertTrue(connected.wait(5), "paho did not see a CONNACK")
            self.assertEqual(result["rc"], 0)
            client.disconnect()
            self.assertTrue(disconnected.wait(5), "paho did not finish disconnecting")
        finally:
            client.loop_stop()
        return result

    def test_mqtt_v31(self):
        self.run_paho(mqtt.MQTTv31, "paho-v31")
        self.broker.wait_for_log(r"client connected: id=paho-v31 address=127\.0\.0\.1:\d+ "
                                 r"protocol=3\.1 keep_alive=30s")
        self.broker.wait_for_log(r"client disconnected: id=paho-v31 .*reason=0x00")

    def test_mqtt_v311(self):
        self.run_paho(mqtt.MQTTv311, "paho-v311")
        self.broker.wait_for_log(r"client connected: id=paho-v311 .*protocol=3\.1\.1 "
                                 r"keep_alive=30s")
        self.broker.wait_for_log(r"client disconnected: id=paho-v311 .*reason=0x00")

    def test_mqtt_v5(self):
        result = self.run_paho(mqtt.MQTTv5, "paho-v5")
        self.assertFalse(hasattr(result["props"], "AssignedClientIdentifier"),
                         "no identifier is assigned when the client sent one")
        self.broker.wait_for_log(r"client connected: id=paho-v5 .*protocol=5\.0 keep_alive=30s")
        self.broker.wait_for_log(r"client disconnected: id=paho-v5 .*reason=0x00")

    def test_mqtt_v5_assigned_client_identifier(self):
        result = self.run_paho(mqtt.MQTTv5, "")
        assigned = result["props"].AssignedClientIdentifier
        self.assertTrue(assigned)
        self.broker.wait_for_log(r"client connected: id=" + re.escape(assigned) + " ")


@unittest.skipUnless(shutil.which("mosquitto_sub"), "mosquitto_sub is not installed")
class MosquittoClientTest(BrokerTestCase):
    """mosquitto_sub reaches CONNACK (0) with each protocol version.

    It subscribes afterwards, which this version of the broker answers with DISCONNECT; only the
    CONNACK line is asserted."""

    def connack_line(self, version, client_id):
        # stdbuf: mosquitto_sub block-buffers a piped stdout and, for 3.x, keeps reconnecting
        # after the broker drops it, so without line buffering nothing would reach us.
        cmd = ["stdbuf", "-oL", "mosquitto_sub", "-d", "-V", version, "-h", "127.0.0.1",
               "-p", str(self.broker.port), "-t", "tern/test", "-i", client_id]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = b""
        deadline = time.monotonic() + 5
        try:
            while b"received CONNACK" not in output and time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
                if not ready:
                    break
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                output += chunk
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        text = output.decode("utf-8", "replace")
        match = re.search(r"Client (\S+) received CONNACK \((\d+)\)", text)
        self.assertIsNotNone(match, f"no CONNACK line in mosquitto_sub output:\n{text}")
        self.assertEqual(match.group(2), "0", text)
        self.assertIn(f"Client {client_id} sending CONNECT", text)
        return text

    def test_mqtt_v5(self):
        self.connack_line("5", "mosq-v5")
        self.broker.wait_for_log(r"client connected: id=mosq-v5 .*protocol=5\.0")

    def test_mqtt_v311(self):
        self.connack_line("311", "mosq-v311")
        self.broker.wait_for_log(r"client connected: id=mosq-v311 .*protocol=3\.1\.1")

    def test_mqtt_v31(self):
        self.connack_line("31", "mosq-v31")
        self.broker.wait_for_log(r"client connected: id=mosq-v31 .*protocol=3\.1 ")


class RawConnectTest(BrokerTestCase):
    """CONNECT acceptance and refusal rules over raw sockets."""

    # -- accepted ------------------------------------------------------------------------------

    def test_v311_connack_is_exactly_20_02_00_00(self):
        s = self.raw()
        s.sendall(connect(level=4, client_id="raw-311"))
        self.assertEqual(read_exactly(s, 4), CONNACK_ACCEPTED_V3)
        s.sendall(pingreq())
        self.assertEqual(read_exactly(s, 2), PINGRESP_BYTES)

    def test_v31_connack_is_exactly_20_02_00_00(self):
        s = self.raw()
        s.sendall(connect(level=3, client_id="raw-31"))
        self.assertEqual(read_exactly(s, 4), CONNACK_ACCEPTED_V3)

    def test_v5_connack_success(self):
        s, ack = self.session(level=5, client_id="raw-v5")
        self.assertFalse(ack.session_present, "no session can exist for a new client")
        self.assertNotIn(ASSIGNED_CLIENT_IDENTIFIER, ack.props)
        self.assertNotIn(SERVER_KEEP_ALIVE, ack.props, "keep-alive was not changed")
        # The default limit (1 MiB) is below the protocol maximum, so it is announced.
        self.assertEqual(ack.props.get(MAXIMUM_PACKET_SIZE), 1048576)
        s.sendall(pingreq())
        self.assertEqual(read_packet(s).type, 13)

    def test_v5_clean_start_0_without_session_has_no_session_present(self):
        _, ack = self.session(level=5, client_id="raw-v5-persist", clean=False,
                              props=[(SESSION_EXPIRY_INTERVAL, 60)])
        self.assertFalse(ack.session_present)

    def test_v5_empty_client_id_gets_assigned_identifier(self):
        _, ack = self.session(level=5, client_id="")
        assigned = ack.props.get(ASSIGNED_CLIENT_IDENTIFIER)
        self.assertTrue(assigned, f"no Assigned Client Identifier in {ack.props}")
        self.broker.wait_for_log(r"client connected: id=" + re.escape(assigned) + " ")
        _, other = self.session(level=5, client_id="")
        self.assertNotEqual(other.props[ASSIGNED_CLIENT_IDENTIFIER], assigned,
                            "assigned identifiers must be unique")

    def test_v311_empty_client_id_with_clean_session_is_accepted(self):
        s = self.raw()
        s.sendall(connect(level=4, client_id="", clean=True))
        self.assertEqual(read_exactly(s, 4), CONNACK_ACCEPTED_V3)
        s.sendall(pingreq())
        self.assertEqual(read_exactly(s, 2), PINGRESP_BYTES)

    def test_v31_23_byte_client_id_is_accepted(self):
        s = self.raw()
        s.sendall(connect(level=3, client_id="x" * 23))
        self.assertEqual(read_exactly(s, 4), CONNACK_ACCEPTED_V3)

    def test_v311_and_v5_accept_long_client_ids(self):
        s = self.raw()
        s.sendall(connect(level=4, client_id="L" * 200))
        self.assertEqual(read_exactly(s, 4), CONNACK_ACCEPTED_V3)
        self.session(level=5, client_id="M" * 200)

    def test_username_password_and_will_are_accepted(self):
        will = dict(topic="clients/will", payload=b"gone", qos=1, retain=True)
        self.session(level=4, client_id="with-will", will=will, username="u", password=b"p")
        will5 = dict(will, props=[(0x18, 5), (0x01, 1), (0x03, "text/plain")])
        self.session(level=5, client_id="with-will-5", will=will5, username="u", password=b"p")
        self.session(level=3, client_id="with-will-31", will=will, username="u", password=b"p")

    def test_v5_password_without_username_is_accepted(self):
        # MQTT 5 dropped the 3.1.1 rule that a password needs a user name [MQTT-3.1.2-22].
        self.session(level=5, client_id="password-only", password=b"secret")

    @unittest.skipUnless(ipv6_loopback_available(), "no IPv6 loopback")
    def test_ipv6_loopback(self):
        s, _ = self.session(level=4, host="::1", client_id="over-ipv6")
        s.sendall(pingreq())
        self.assertEqual(read_exactly(s, 2), PINGRESP_BYTES)
        self.broker.wait_for_log(r"client connected: id=over-ipv6 address=\[::1\]:\d+")

    # -- refused with a CONNACK ----------------------------------------------------------------

    def assert_refused_v3(self, data, code):
        s = self.raw()
        s.sendall(data)
        self.assertEqual(read_exactly(s, 4), connack_v3(code))
        expect_closed(s)

    def test_unsupported_protocol_level_6(self):
        self.assert_refused_v3(connect(level=6, client_id="lvl6"), 0x01)

    def test_unsupported_protocol_level_0(self):
        self.assert_refused_v3(connect(level=0, client_id="lvl0", protocol_name="MQTT"), 0x01)

    def test_mqtt_name_with_level_3_is_unsupported(self):
        self.assert_refused_v3(connect(level=3, client_id="lvl3", protocol_name="MQTT"), 0x01)

    def test_mqisdp_name_with_level_4_is_unsupported(self):
        self.assert_refused_v3(connect(level=4, client_id="lvl4", protocol_name="MQIsdp"), 0x01)

    def test_v31_empty_client_id_is_refused(self):
        self.assert_refused_v3(connect(level=3, client_id="", clean=True), 0x02)

    def test_v31_client_id_longer_than_23_bytes_is_refused(self):
        self.assert_refused_v3(connect(level=3, client_id="x" * 24), 0x02)

    def test_v311_empty_client_id_without_clean_session_is_refused(self):
        # [MQTT-3.1.3-8]: CONNACK return code 0x02, then close.
        self.assert_refused_v3(connect(level=4, client_id="", clean=False), 0x02)

    def test_v5_authentication_method_is_refused_with_0x8c(self):
        s = self.raw()
        s.sendall(connect(level=5, client_id="auth", props=[(AUTHENTICATION_METHOD, "SCRAM-SHA-1"),
                                                             (AUTHENTICATION_DATA, b"x")]))
        ack = parse_connack(read_packet(s), 5)
        self.assertEqual(ack.code, 0x8C)
        self.assertFalse(ack.session_present, "[MQTT-3.2.2-6]")
        expect_closed(s)

    # -- closed without a CONNACK --------------------------------------------------------------

    def test_bad_protocol_name_closes_without_connack(self):
        for name in ("MQTX", "mqtt", "MQIsdq", ""):
            with self.subTest(name=name):
                s = self.raw()
                s.sendall(connect(level=4, client_id="badname", protocol_name=name))
                expect_closed(s)

    def test_first_packet_not_connect_closes(self):
        for first in (pingreq(), disconnect(), publish("a/b", b"x"), b"\x20\x02\x00\x00"):
            with self.subTest(first=first):
                s = self.raw()
                s.sendall(first)
                expect_closed(s)

    # -- the same client identifier twice -----------------------------------------------------

    def test_second_connection_with_same_client_id_takes_over(self):
        # [MQTT-3.1.4-3]: the existing connection is closed (MQTT 5: DISCONNECT 0x8E first).
        for level in (4, 5):
            with self.subTest(level=level):
                old, _ = self.session(level=level, client_id=f"twin-{level}")
                new, _ = self.session(level=level, client_id=f"twin-{level}")
                if level == 5:
                    self.expect_disconnect(old, 0x8E)
                else:
                    expect_closed(old)
                new.sendall(pingreq())
                self.assertEqual(read_packet(new).type, 13)

    # -- DISCONNECT from the client ------------------------------------------------------------

    def test_client_disconnect_closes_connection(self):
        for level in (3, 4, 5):
            with self.subTest(level=level):
                s, _ = self.session(level=level, client_id=f"bye-{level}")
                s.sendall(disconnect(level=level))
                expect_closed(s)
                self.broker.wait_for_log(rf"client disconnected: id=bye-{level} .*reason=0x00")

    def test_v5_disconnect_with_reason_and_properties(self):
        s, _ = self.session(level=5, client_id="bye-props",
                            props=[(SESSION_EXPIRY_INTERVAL, 30)])
        s.sendall(disconnect(0x04, [(SESSION_EXPIRY_INTERVAL, 60), (REASON_STRING, "done"),
                                    (USER_PROPERTY, ("k", "v"))], level=5))
        expect_closed(s)
        self.broker.wait_for_log(r"client disconnected: id=bye-props .*reason=0x04")

    def test_v5_disconnect_raising_zero_session_expiry_is_protocol_error(self):
        # [MQTT-3.14.2-2]: zero in CONNECT, non-zero in DISCONNECT is a Protocol Error.
        s, _ = self.session(level=5, client_id="raise-expiry")
        s.sendall(disconnect(0x00, [(SESSION_EXPIRY_INTERVAL, 10)], level=5))
        self.expect_disconnect(s, 0x82)

    def test_v5_disconnect_keeping_zero_session_expiry_is_fine(self):
        s, _ = self.session(level=5, client_id="keep-expiry")
        s.sendall(disconnect(0x00, [(SESSION_EXPIRY_INTERVAL, 0)], level=5))
        expect_closed(s)


class MaximumPacketSizeAtProtocolLimitTest(BrokerTestCase):
    """With max_packet_size at the protocol maximum, CONNACK announces no limit."""

    CONFIG = "[limits]\nmax_packet_size = 268435460\n"

    def test_no_maximum_packet_size_property(self):
        _, ack = self.session(level=5, client_id="nolimit")
        self.assertNotIn(MAXIMUM_PACKET_SIZE, ack.props)


class ManyConnectionsTest(BrokerTestCase):
    """200 simultaneous clients on a 2-shard broker all get CONNACK and stay served."""

    CONFIG = "shards = 2\n"
    VERBOSE = True
    COUNT = 200

    def test_200_concurrent_connections(self):
        self.broker.wait_for_log(r"starting: 2 shard\(s\)")
        socks = [self.raw() for _ in range(self.COUNT)]
        levels = [(3, 4, 5)[i % 3] for i in range(self.COUNT)]
        for i, s in enumerate(socks):
            s.sendall(connect(level=levels[i], client_id=f"many-{i}"))
        for i, s in enumerate(socks):
            ack = parse_connack(read_packet(s), levels[i])
            self.assertEqual(ack.code, 0, f"client {i}")
        for s in socks:
            s.sendall(pingreq())
        for i, s in enumerate(socks):
            self.assertEqual(read_packet(s).type, 13, f"client {i}: PINGRESP")
        log = self.broker.log()
        connected = set(re.findall(r"client connected: id=(many-\d+) ", log))
        self.assertEqual(len(connected), self.COUNT)
        shards = re.findall(r"connection from 127\.0\.0\.1:\d+ on shard (\d+)", log)
        self.assertGreaterEqual(shards.count("0"), self.COUNT // 2 - 5, "shard 0 underused")
        self.assertGreaterEqual(shards.count("1"), self.COUNT // 2 - 5, "shard 1 underused")
        self.assertEqual(set(shards), {"0", "1"})


if __name__ == "__main__":
    unittest.main()
