"""MQTT over WebSocket (protocol = "ws" and "wss") against the real binary.

One broker with two shards and four listeners: the harness's plain MQTT port (its readiness
probe), "ws" on the default path /mqtt, "ws" on path /custom, and "wss" with a test PKI.
Clients:
  * paho-mqtt with transport="websockets" (3.1.1 and 5.0, QoS 0/1/2, over ws and wss);
  * paho-mqtt over TCP and mosquitto_pub, exchanging messages with WebSocket clients;
  * a raw-socket WebSocket client written here from RFC 6455 (no WebSocket library), for the
    upgrade answers (101, 404, 400, 426, 431), frame splitting, text frames and message sizes.
"""

import base64
import hashlib
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

from clients import WAIT, PahoClient, owner_shard, shard_id
from harness import (CONNACK, PINGRESP, SUBACK, Broker, Closed, connect, free_port, parse_connack,
                     pingreq, publish, subscribe)
from tls_certs import make_pki

HOST = "127.0.0.1"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
MAX_PACKET = 4096
CONNECT_TIMEOUT = 2.0

OP_TEXT, OP_BINARY, OP_CLOSE = 0x1, 0x2, 0x8


# --------------------------------------------------------------------------------------------
# A raw WebSocket client (RFC 6455), independent of the broker's library
# --------------------------------------------------------------------------------------------

def upgrade_request(path="/mqtt", protocols="mqtt", key=None, extra=""):
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if protocols is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode(), key


def read_http_response(sock, timeout=WAIT):
    """(status, headers dict with lower-case names, bytes after the head)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise Closed(f"closed after {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def frame(opcode, payload, fin=True, mask=True):
    """A client frame: masked, as RFC 6455 requires of clients."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class FrameReader:
    """Reads server frames (unmasked) from a socket, starting with bytes already received."""

    def __init__(self, sock, pending=b""):
        self.sock = sock
        self.buf = pending

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk

    def frame(self, timeout=WAIT):
        """(opcode, payload) of the next frame."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        n, pos = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, pos = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, pos = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(pos + n, deadline)
        payload = self.buf[pos:pos + n]
        self.buf = self.buf[pos + n:]
        return b0 & 0x0F, payload

    def mqtt_bytes(self, n, timeout=WAIT):
        """The payload of binary frames until at least n bytes came."""
        out = b""
        deadline = time.monotonic() + timeout
        while len(out) < n:
            opcode, payload = self.frame(max(0.01, deadline - time.monotonic()))
            if opcode != OP_BINARY:
                raise AssertionError(f"expected a binary frame, got opcode {opcode}")
            out += payload
        return out

    def closed(self, timeout=WAIT):
        """True once the peer closed the TCP connection (frames before that are skipped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.frame(max(0.01, deadline - time.monotonic()))
        except (Closed, ConnectionResetError):
            return True
        except socket.timeout:
            return False
        return False


def expected_accept(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


class WebSocketTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="tern-ws-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, True)
        cls.pki = make_pki(cls.pki_dir)
        cls.ws_port, cls.custom_port, cls.wss_port = free_port(), free_port(), free_port()
        p = cls.pki
        config = (f"shards = 2\n[storage]\ndurability = \"memory\"\n"
                  f"[limits]\nconnect_timeout = \"{int(CONNECT_TIMEOUT)}s\"\n"
                  f"max_packet_size = {MAX_PACKET}\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.ws_port}\nprotocol = \"ws\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.custom_port}\n"
                  f"protocol = \"ws\"\npath = \"/custom\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.wss_port}\n"
                  f"protocol = \"wss\"\ncertfile = \"{p['server.crt']}\"\n"
                  f"keyfile = \"{p['server.key']}\"\n")
        cls.broker = Broker(config=config).start()
        cls.addClassCleanup(cls.broker.stop)

    def setUp(self):
        self.clients = []
        self.sockets = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's own failure
                pass
        for s in self.sockets:
            s.close()

    # -- helpers -------------------------------------------------------------------------------

    def ws(self, client_id, level=4, port=None, path="/mqtt", **kwargs):
        c = PahoClient(port or self.ws_port, client_id, level=level, transport="websockets",
                       ws_path=path, **kwargs)
        self.clients.append(c)
        return c

    def wss(self, client_id, level=4, **kwargs):
        tls = {"ca_certs": self.pki["ca.crt"], "tls_version": ssl.PROTOCOL_TLS_CLIENT}
        return self.ws(client_id, level=level, port=self.wss_port, tls=tls, **kwargs)

    def tcp(self, client_id, level=4, **kwargs):
        c = PahoClient(self.broker.port, client_id, level=level, **kwargs)
        self.clients.append(c)
        return c

    def raw(self, port=None):
        s = socket.create_connection((HOST, port or self.ws_port), timeout=WAIT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sockets.append(s)
        return s

    def upgraded(self, protocols="mqtt"):
        """A raw socket after a successful upgrade, and its frame reader."""
        s = self.raw()
        request, key = upgrade_request(protocols=protocols)
        s.sendall(request)
        status, headers, rest = read_http_response(s)
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("sec-websocket-accept"), expected_accept(key))
        return s, FrameReader(s, rest), headers

    def assert_refused(self, request, status, log_pattern, port=None):
        s = self.raw(port)
        s.sendall(request)
        got, headers, _ = read_http_response(s)
        self.assertEqual(got, status)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        self.assertTrue(FrameReader(s).closed(), "the broker kept a refused connection open")
        self.broker.wait_for_log(log_pattern)
        return headers

    # -- paho over ws / wss --------------------------------------------------------------------

    def test_publish_subscribe_both_versions(self):
        for level in (4, 5):
            with self.subTest(level=level):
                sub = self.ws(f"ws-sub-{level}", level=level)
                pub = self.ws(f"ws-pub-{level}", level=level)
                sub.subscribe(f"ws/{level}/#")
                pub.publish(f"ws/{level}/a", b"hello over websocket")
                msg = sub.get()
                self.assertEqual((msg.topic, msg.payload), (f"ws/{level}/a", b"hello over websocket"))
        self.broker.wait_for_log(r"client connected: id=ws-sub-4 .* transport=ws\b")

    def test_qos1_and_qos2(self):
        sub = self.ws("ws-q-sub", level=5)
        pub = self.ws("ws-q-pub", level=5)
        sub.subscribe("ws/q/#", qos=2)
        pub.publish("ws/q/1", b"one", qos=1)
        pub.publish("ws/q/2", b"two", qos=2)
        got = sorted((m.topic, m.payload, m.qos) for m in sub.get_many(2))
        self.assertEqual(got, [("ws/q/1", b"one", 1), ("ws/q/2", b"two", 2)])

    def test_large_message_spans_frames_both_ways(self):
        """A publish near the packet limit: TCP segments split it, the reader joins it."""
        sub = self.ws("ws-big-sub")
        pub = self.ws("ws-big-pub")
        sub.subscribe("ws/big", qos=1)
        payload = os.urandom(MAX_PACKET - 64)
        pub.publish("ws/big", payload, qos=1)
        self.assertEqual(sub.get().payload, payload)

    def test_websocket_and_tcp_clients_exchange_both_ways(self):
        ws = self.ws("x-ws")
        tcp = self.tcp("x-tcp")
        ws.subscribe("x/to-ws", qos=1)
        tcp.subscribe("x/to-tcp", qos=1)
        tcp.publish("x/to-ws", b"from tcp", qos=1)
        ws.publish("x/to-tcp", b"from ws", qos=1)
        self.assertEqual(ws.get().payload, b"from tcp")
        self.assertEqual(tcp.get().payload, b"from ws")
        subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.broker.port), "-t", "x/to-ws",
                        "-m", "from mosquitto_pub", "-q", "1"], check=True, timeout=WAIT)
        self.assertEqual(ws.get().payload, b"from mosquitto_pub")

    def test_wss_publish_subscribe_and_tcp(self):
        for level in (4, 5):
            with self.subTest(level=level):
                sub = self.wss(f"wss-sub-{level}", level=level)
                tcp = self.tcp(f"wss-tcp-{level}", level=level)
                sub.subscribe(f"wss/{level}", qos=2)
                tcp.subscribe(f"wss/{level}/back", qos=1)
                tcp.publish(f"wss/{level}", b"secret", qos=2)
                msg = sub.get()
                self.assertEqual((msg.payload, msg.qos), (b"secret", 2))
                sub.publish(f"wss/{level}/back", b"answer", qos=1)
                self.assertEqual(tcp.get().payload, b"answer")
        self.broker.wait_for_log(r"client connected: id=wss-sub-4 .* transport=wss\b")

    def test_clients_of_both_shards_move_and_keep_sessions(self):
        """Client ids hosted by each shard. Each listener deals its connections to the shards in
        turn, so of the two consecutive ws connections with ids of shard 0 one lands on shard
        1 and must move (likewise for wss and shard 1). A persistent session survives a
        reconnect over WebSocket."""
        ids = [shard_id("ws-move", shard) for shard in (0, 1)] * 2
        self.assertEqual({owner_shard(i) for i in ids}, {0, 1})
        tcp = self.tcp("move-pub")
        for n, client_id in enumerate(ids):
            make = self.wss if n % 2 else self.ws
            c = make(f"{client_id}-{n}")
            c.subscribe(f"move/{n}", qos=1)
            tcp.publish(f"move/{n}", b"moved", qos=1)
            self.assertEqual(c.get().payload, b"moved")
        persistent_id = shard_id("ws-persist", 1)
        first = self.ws(persistent_id, clean=False)
        first.subscribe("persist/t", qos=1)
        first.disconnect()
        tcp.publish("persist/t", b"queued", qos=1)
        again = self.ws(persistent_id, clean=False)
        self.assertTrue(again.session_present)
        self.assertEqual(again.get().payload, b"queued")

    def test_custom_path(self):
        c = self.ws("ws-custom", port=self.custom_port, path="/custom")
        c.subscribe("custom/t")
        c.publish("custom/t", b"ok")
        self.assertEqual(c.get().payload, b"ok")
        request, _ = upgrade_request(path="/mqtt")
        self.assert_refused(request, 404, r"WebSocket handshake with .* failed: answered 404: "
                            r"path '/mqtt' is not the MQTT endpoint", port=self.custom_port)

    # -- refused upgrades ------------------------------------------------------------------------

    def test_wrong_path_refused(self):
        request, _ = upgrade_request(path="/nope?x=1")
        self.assert_refused(request, 404, r"answered 404: path '/nope' is not the MQTT endpoint")

    def test_missing_subprotocol_refused(self):
        request, _ = upgrade_request(protocols=None)
        self.assert_refused(request, 400, r"answered 400: no MQTT subprotocol offered")
        request, _ = upgrade_request(protocols="chat, superchat")
        self.assert_refused(request, 400, r"answered 400: no MQTT subprotocol offered")

    def test_plain_http_gets_426(self):
        request = f"GET /mqtt HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
        headers = self.assert_refused(request, 426, r"answered 426: not a WebSocket upgrade")
        self.assertEqual(headers.get("upgrade", "").lower(), "websocket")

    def test_oversize_upgrade_request_closed(self):
        request, _ = upgrade_request(extra=f"X-Padding: {'a' * 9000}\r\n")
        self.assert_refused(request, 431, r"failed: upgrade request larger than 8192 bytes")

    def test_silent_client_closed_at_connect_timeout(self):
        s = self.raw()
        s.sendall(b"GET /mqtt HTTP/1.1\r\n")  # and nothing more
        started = time.monotonic()
        self.assertTrue(FrameReader(s).closed(timeout=CONNECT_TIMEOUT + WAIT))
        self.assertGreater(time.monotonic() - started, CONNECT_TIMEOUT - 0.5)
        self.broker.wait_for_log(r"WebSocket handshake with .* not completed within the connect "
                                 r"timeout")

    def test_paho_on_wrong_path_fails(self):
        c = PahoClient(self.ws_port, "ws-wrong-path", transport="websockets",
                       ws_path="/elsewhere", connect=False)
        try:
            with self.assertRaises(Exception):
                c.connect()
        finally:
            c.drop()
        self.broker.wait_for_log(r"answered 404: path '/elsewhere'")

    # -- raw frames ------------------------------------------------------------------------------

    def test_raw_upgrade_and_split_packets(self):
        """CONNECT split over three frames (one a continuation), then two packets in one frame
        and a packet split across two messages: the broker sees one byte stream."""
        s, reader, headers = self.upgraded()
        self.assertEqual(headers.get("sec-websocket-protocol"), "mqtt")
        packet = connect(client_id="raw-ws")
        s.sendall(frame(OP_BINARY, packet[:3], fin=False) + frame(0, packet[3:7], fin=False)
                  + frame(0, packet[7:]))
        ack = reader.mqtt_bytes(4)
        self.assertEqual(ack[0] >> 4, CONNACK)
        self.assertEqual(ack[3], 0)
        s.sendall(frame(OP_BINARY, pingreq() + pingreq()))
        self.assertEqual(reader.mqtt_bytes(4), bytes([PINGRESP << 4, 0]) * 2)
        sub = subscribe(1, [("raw/t", 0)])
        s.sendall(frame(OP_BINARY, sub[:4]) + frame(OP_BINARY, sub[4:]))
        self.assertEqual(reader.mqtt_bytes(5)[0] >> 4, SUBACK)
        s.sendall(frame(OP_BINARY, publish("raw/t", b"echo")))
        echoed = reader.mqtt_bytes(2 + 2 + 5 + 4)
        self.assertIn(b"raw/t" + b"echo", echoed)

    def test_mqttv31_subprotocol_accepted(self):
        s, reader, headers = self.upgraded(protocols="mqttv3.1")
        self.assertEqual(headers.get("sec-websocket-protocol"), "mqttv3.1")
        s.sendall(frame(OP_BINARY, connect(level=3, client_id="raw-v31")))
        self.assertEqual(reader.mqtt_bytes(4)[0] >> 4, CONNACK)

    def test_text_frame_closes_with_1003(self):
        s, reader, _ = self.upgraded()
        s.sendall(frame(OP_BINARY, connect(client_id="raw-text")))
        reader.mqtt_bytes(4)
        s.sendall(frame(OP_TEXT, b"\x10\x00"))
        opcode, payload = reader.frame()
        self.assertEqual(opcode, OP_CLOSE)
        self.assertEqual(struct.unpack("!H", payload[:2])[0], 1003)
        s.sendall(frame(OP_CLOSE, payload[:2]))
        self.assertTrue(reader.closed())
        self.broker.wait_for_log(r"client disconnected: id=raw-text .*text WebSocket message")

    def test_message_above_packet_limit_closes_with_1009(self):
        s, reader, _ = self.upgraded()
        s.sendall(frame(OP_BINARY, connect(client_id="raw-big")))
        reader.mqtt_bytes(4)
        s.sendall(frame(OP_BINARY, b"\x30" + b"\x00" * (MAX_PACKET + 100)))
        opcode, payload = reader.frame()
        self.assertEqual(opcode, OP_CLOSE)
        self.assertEqual(struct.unpack("!H", payload[:2])[0], 1009)
        self.assertTrue(reader.closed())

    def test_unmasked_client_frame_is_a_protocol_error(self):
        s, reader, _ = self.upgraded()
        s.sendall(frame(OP_BINARY, connect(client_id="raw-unmasked"), mask=False))
        opcode, payload = reader.frame()
        self.assertEqual(opcode, OP_CLOSE)
        self.assertEqual(struct.unpack("!H", payload[:2])[0], 1002)
        self.assertTrue(reader.closed())

    def test_client_close_frame_ends_session_cleanly(self):
        s, reader, _ = self.upgraded()
        s.sendall(frame(OP_BINARY, connect(client_id="raw-bye")))
        reader.mqtt_bytes(4)
        s.sendall(frame(OP_CLOSE, struct.pack("!H", 1000)))
        opcode, payload = reader.frame()
        self.assertEqual((opcode, struct.unpack("!H", payload[:2])[0]), (OP_CLOSE, 1000))
        self.assertTrue(reader.closed())
        self.broker.wait_for_log(r"client disconnected: id=raw-bye ")

    def test_keep_alive_applies(self):
        """A WebSocket client silent for 1.5 times its keep-alive is disconnected (WebSocket
        pings are not MQTT traffic)."""
        s, reader, _ = self.upgraded()
        s.sendall(frame(OP_BINARY, connect(client_id="raw-keepalive", keep_alive=1)))
        reader.mqtt_bytes(4)
        started = time.monotonic()
        s.sendall(frame(0x9, b"ping"))  # a WebSocket ping, answered by a pong
        opcode, payload = reader.frame()
        self.assertEqual((opcode, payload), (0xA, b"ping"))
        opcode, _ = reader.frame(timeout=WAIT)  # the broker's close frame
        self.assertEqual(opcode, OP_CLOSE)
        self.assertGreater(time.monotonic() - started, 1.0)
        s.sendall(frame(OP_CLOSE, struct.pack("!H", 1000)))
        self.assertTrue(reader.closed())
        self.broker.wait_for_log(r"client disconnected: id=raw-keepalive .*keep.alive")


class WebSocketLimitsTestCase(unittest.TestCase):
    """WebSocket connections count toward the broker-wide connection limit, and a ws listener's
    allow_anonymous applies to its clients."""

    @classmethod
    def setUpClass(cls):
        cls.ws_port, cls.closed_port = free_port(), free_port()
        config = (f"shards = 2\n[storage]\ndurability = \"memory\"\n[limits]\nmax_connections = 3\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.ws_port}\nprotocol = \"ws\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.closed_port}\n"
                  f"protocol = \"ws\"\nallow_anonymous = false\n")
        cls.broker = Broker(config=config).start()
        cls.addClassCleanup(cls.broker.stop)

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def client(self, client_id, port, transport="websockets", **kwargs):
        c = PahoClient(port, client_id, transport=transport, **kwargs)
        self.clients.append(c)
        return c

    def test_anonymous_refused_on_a_closed_ws_listener(self):
        self.client("anon-refused", self.closed_port, expect_code=5)
        self.client("anon-open", self.ws_port)

    def test_ws_connections_count_toward_max_connections(self):
        self.client("limit-tcp-1", self.broker.port, transport="tcp")
        self.client("limit-ws-2", self.ws_port)
        self.client("limit-ws-3", self.ws_port)
        refused = self.client("limit-ws-4", self.ws_port, expect_code=3)
        self.assertEqual(refused.connack[1], 3)  # server unavailable (3.1.1)
        self.broker.wait_for_log(r"limit reached")


if __name__ == "__main__":
    unittest.main()
