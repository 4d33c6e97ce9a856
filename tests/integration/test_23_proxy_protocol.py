"""PROXY protocol (v1 and v2) listeners against the real binary.

One broker with two shards: the harness's plain port (its readiness probe), and PROXY listeners
for plain MQTT, MQTT with the username from the header's verified client certificate CN, MQTT
over TLS and MQTT over WebSocket. Headers are written here byte by byte from HAProxy's
specification (proxy-protocol.txt), never with Tern's parser. The client's address the broker
uses is read back from its connection log and from the admin API's client list.
"""

import base64
import json
import os
import re
import shutil
import socket
import ssl
import struct
import tempfile
import time
import unittest
import urllib.request

from clients import owner_shard
from harness import (Broker, Closed, connect, expect_closed, free_port, parse_connack,
                     read_packet)
from tls_certs import make_pki

HOST = "127.0.0.1"
CONNECT_TIMEOUT = 1.5
TOKEN = "proxy-test-admin-token"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(source="203.0.113.7", port=50000, family="TCP4", dest="127.0.0.1", dest_port=1883):
    return f"PROXY {family} {source} {dest} {port} {dest_port}\r\n".encode()


def tlv(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


def v2(source=None, port=50000, command=0x1, tlvs=b""):
    """A v2 header; `source` None with command LOCAL, IPv4 or IPv6 text otherwise."""
    if source is None:
        family, addresses = 0x00, b""
    elif ":" in source:
        family = 0x21  # AF_INET6, STREAM
        addresses = (socket.inet_pton(socket.AF_INET6, source)
                     + socket.inet_pton(socket.AF_INET6, "::1") + struct.pack("!HH", port, 1883))
    else:
        family = 0x11  # AF_INET, STREAM
        addresses = (socket.inet_aton(source) + socket.inet_aton("127.0.0.1")
                     + struct.pack("!HH", port, 1883))
    body = addresses + tlvs
    return V2_SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


def ssl_tlv(common_name=None, verified=True):
    """PP2_TYPE_SSL: client bits (SSL, CERT_CONN), verify result (0 = verified), sub-TLVs."""
    subs = tlv(0x21, b"TLSv1.3")  # PP2_SUBTYPE_SSL_VERSION
    if common_name is not None:
        subs += tlv(0x22, common_name.encode())  # PP2_SUBTYPE_SSL_CN
    return tlv(0x20, bytes([0x01 | 0x02]) + struct.pack("!I", 0 if verified else 1) + subs)


class ProxyProtocolTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="tern-proxy-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, True)
        cls.pki = make_pki(cls.pki_dir)
        ports = set()
        while len(ports) < 6:
            ports.add(free_port())
        (cls.port, cls.proxy_port, cls.cn_port, cls.tls_port, cls.ws_port,
         cls.admin_port) = sorted(ports)
        p = cls.pki
        config = (
            "shards = 2\n[storage]\ndurability = \"memory\"\n"
            f"[limits]\nconnect_timeout = \"{int(CONNECT_TIMEOUT * 1000)}ms\"\n"
            f"[admin]\nport = {cls.admin_port}\ntoken = \"{TOKEN}\"\n"
            f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.port}\n"
            f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.proxy_port}\nproxy_protocol = true\n"
            f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.cn_port}\nproxy_protocol = true\n"
            "use_identity_as_username = \"cn\"\n"
            f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.tls_port}\nprotocol = \"mqtts\"\n"
            f"proxy_protocol = true\ncertfile = \"{p['server.crt']}\"\n"
            f"keyfile = \"{p['server.key']}\"\n"
            f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.ws_port}\nprotocol = \"ws\"\n"
            "proxy_protocol = true\n")
        # The plain listeners have their own ports here: no -p (it would move them all).
        cls.broker = Broker(config=config, port=cls.port, pass_port=False).start()
        cls.addClassCleanup(cls.broker.stop)

    def setUp(self):
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close()

    # -- helpers -------------------------------------------------------------------------------

    def open(self, port):
        s = socket.create_connection((HOST, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sockets.append(s)
        return s

    def mqtt_connect(self, sock, client_id, level=4):
        sock.sendall(connect(level=level, client_id=client_id))
        return parse_connack(read_packet(sock), level).code

    def clients(self, search):
        request = urllib.request.Request(
            f"http://{HOST}:{self.admin_port}/api/v1/clients?search={search}",
            headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return {c["client_id"]: c for c in json.load(response)["clients"]}

    def assert_connected_from(self, client_id, peer_pattern):
        self.broker.wait_for_log(f"client connected: id={client_id} address={peer_pattern} ")

    # -- tests ---------------------------------------------------------------------------------

    def test_v1_header_names_the_client(self):
        s = self.open(self.proxy_port)
        s.sendall(v1("203.0.113.7", 50001))
        self.assertEqual(self.mqtt_connect(s, "pp-v1"), 0)
        self.assert_connected_from("pp-v1", re.escape("203.0.113.7:50001"))
        self.assertEqual(self.clients("pp-v1")["pp-v1"]["address"], "203.0.113.7")

    def test_header_and_connect_in_one_segment(self):
        s = self.open(self.proxy_port)
        s.sendall(v1("198.51.100.20", 40000) + connect(level=5, client_id="pp-one-segment"))
        self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
        self.assert_connected_from("pp-one-segment", re.escape("198.51.100.20:40000"))

    def test_header_trickling_in_byte_by_byte(self):
        s = self.open(self.proxy_port)
        for b in v2("192.0.2.99", 41000):
            s.send(bytes([b]))
            time.sleep(0.002)
        self.assertEqual(self.mqtt_connect(s, "pp-trickle"), 0)
        self.assert_connected_from("pp-trickle", re.escape("192.0.2.99:41000"))

    def test_v2_ipv6_source(self):
        s = self.open(self.proxy_port)
        s.sendall(v2("2001:db8::17", 42000))
        self.assertEqual(self.mqtt_connect(s, "pp-v6", level=5), 0)
        self.assert_connected_from("pp-v6", re.escape("[2001:db8::17]:42000"))
        self.assertEqual(self.clients("pp-v6")["pp-v6"]["address"], "2001:db8::17")

    def test_local_command_and_unknown_keep_the_socket_address(self):
        s = self.open(self.proxy_port)
        s.sendall(v2(None, command=0x0))
        self.assertEqual(self.mqtt_connect(s, "pp-local"), 0)
        self.assert_connected_from("pp-local", r"127.0.0.1:\d+")
        s = self.open(self.proxy_port)
        s.sendall(b"PROXY UNKNOWN\r\n")
        self.assertEqual(self.mqtt_connect(s, "pp-unknown"), 0)
        self.assert_connected_from("pp-unknown", r"127.0.0.1:\d+")

    def test_the_origin_survives_a_move_to_the_owning_shard(self):
        # Connections are dealt to shards round-robin; a client id owned by the other shard
        # moves its connection there. Both shards must keep the header's address.
        ids = [f"pp-move-{i}" for i in range(8)]
        self.assertEqual({owner_shard(i) for i in ids}, {0, 1})
        for n, client_id in enumerate(ids):
            s = self.open(self.proxy_port)
            s.sendall(v1("203.0.113.50", 43000 + n))
            self.assertEqual(self.mqtt_connect(s, client_id), 0)
        listed = self.clients("pp-move-")
        for n, client_id in enumerate(ids):
            self.assert_connected_from(client_id, re.escape(f"203.0.113.50:{43000 + n}"))
            self.assertEqual(listed[client_id]["address"], "203.0.113.50")

    def test_missing_or_malformed_header_is_refused_and_logged(self):
        for data, why in ((connect(level=4, client_id="pp-no-header"), "invalid PROXY protocol"),
                          (b"PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n", "malformed v1 header"),
                          (V2_SIGNATURE + b"\x21\x11\x00\x04abcd", "invalid PROXY protocol")):
            with self.subTest(data=data):
                s = self.open(self.proxy_port)
                s.sendall(data)
                expect_closed(s)
                self.broker.wait_for_log(why)
        self.assertNotIn("id=pp-no-header", self.broker.log())

    def test_no_header_within_the_connect_timeout_closes(self):
        s = self.open(self.proxy_port)
        s.sendall(b"PROXY TCP4 ")
        started = time.monotonic()
        expect_closed(s, timeout=CONNECT_TIMEOUT + 3)
        self.assertLess(time.monotonic() - started, CONNECT_TIMEOUT + 2.5)
        self.broker.wait_for_log("no complete PROXY protocol header before the connect timeout")

    def test_username_from_the_verified_certificate_cn(self):
        s = self.open(self.cn_port)
        s.sendall(v2("203.0.113.8", 44000, tlvs=ssl_tlv("device-42")))
        self.assertEqual(self.mqtt_connect(s, "pp-cn"), 0)
        self.broker.wait_for_log(r"client connected: id=pp-cn address=203\.0\.113\.8:44000 .*"
                                 r"username='device-42' \(certificate\)")
        self.assertEqual(self.clients("pp-cn")["pp-cn"]["username"], "device-42")

    def test_no_verified_certificate_is_refused_where_the_cn_is_the_username(self):
        for tlvs in (b"", ssl_tlv("device-43", verified=False), ssl_tlv(None)):
            with self.subTest(tlvs=tlvs):
                s = self.open(self.cn_port)
                s.sendall(v2("203.0.113.9", 44001, tlvs=tlvs) + connect(client_id="pp-no-cn"))
                expect_closed(s)
        self.broker.wait_for_log("names no verified client certificate")
        self.assertNotIn("id=pp-no-cn", self.broker.log())

    def test_tls_after_the_header(self):
        s = self.open(self.tls_port)
        s.sendall(v1("203.0.113.10", 45000))
        context = ssl.create_default_context(cafile=self.pki["ca.crt"])
        tls = context.wrap_socket(s, server_hostname="localhost")
        self.sockets.append(tls)
        self.assertEqual(self.mqtt_connect(tls, "pp-tls"), 0)
        self.broker.wait_for_log(r"client connected: id=pp-tls address=203\.0\.113\.10:45000 "
                                 r".*transport=mqtts")

    def test_websocket_after_the_header(self):
        s = self.open(self.ws_port)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /mqtt HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
        s.sendall(v1("203.0.113.11", 46000) + request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                raise Closed(f"closed after {head!r}")
            head += chunk
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        # MQTT CONNECT in one masked binary frame (RFC 6455 section 5.2).
        payload = connect(level=4, client_id="pp-ws")
        mask = os.urandom(4)
        s.sendall(bytes([0x82, 0x80 | len(payload)]) + mask
                  + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        self.broker.wait_for_log(r"client connected: id=pp-ws address=203\.0\.113\.11:46000 "
                                 r".*transport=ws")

    def test_plain_listeners_still_refuse_headers(self):
        # A listener without proxy_protocol treats a header as a malformed CONNECT.
        s = socket.create_connection((HOST, self.broker.port), timeout=5)
        self.sockets.append(s)
        s.sendall(v1())
        expect_closed(s)


if __name__ == "__main__":
    unittest.main()
