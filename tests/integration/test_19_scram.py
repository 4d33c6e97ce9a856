"""MQTT 5 enhanced authentication with SCRAM-SHA-256 and SCRAM-SHA-512 through AUTH packets,
password checks off the shard thread, and ACLs of sessions restored after a restart.

The SCRAM client side is written here with hashlib/hmac from RFC 5802 (independent of Tern's
C++), over a raw socket, so every AUTH, CONNACK and DISCONNECT is read exactly. Users come from
`tern passwd`: SCRAM entries (`--scram sha-256` / `sha-512`) and an ordinary `$7$` entry, which
serves SCRAM-SHA-512 directly. Failed logins are slowed per source address, so the tests that
fail logins bind their sockets to loopback addresses of their own (127.0.2.x).
"""

import base64
import hashlib
import hmac
import itertools
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (AUTHENTICATION_DATA, AUTHENTICATION_METHOD, AUTH, CONNACK, DISCONNECT,
                     PINGRESP, PUBLISH, SESSION_EXPIRY_INTERVAL, SUBACK, Broker, BrokerTestCase,
                     connect, expect_closed, packet, parse_connack, parse_disconnect,
                     parse_properties, pingreq, properties, publish, read_packet, subscribe,
                     tern_binary, varint)

WAIT = 10
_sources = itertools.count(1)


def fresh_source():
    """A loopback source address no other failed login used."""
    return f"127.0.2.{next(_sources)}"


def tern_passwd(*args):
    r = subprocess.run([tern_binary(), "passwd", *args], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


# -- SCRAM client (RFC 5802) ------------------------------------------------------------------

HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


def saslname(user):
    return user.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    def __init__(self, method, user, password):
        self.hash = HASHES[method]
        self.user = user
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.bare = f"n={saslname(user)},r={self.nonce}"
        self.salt = None

    def client_first(self):
        return ("n,," + self.bare).encode()

    def client_final(self, server_first):
        text = server_first.decode()
        fields = dict(item.split("=", 1) for item in text.split(","))
        assert fields["r"].startswith(self.nonce), text
        self.salt = base64.b64decode(fields["s"])
        salted = hashlib.pbkdf2_hmac(self.hash, self.password.encode(), self.salt, int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", self.hash).digest()
        stored_key = hashlib.new(self.hash, client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={fields['r']}"
        auth_message = f"{self.bare},{text},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, self.hash).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", self.hash).digest()
        self.expected_server_final = (
            "v=" + base64.b64encode(hmac.new(server_key, auth_message, self.hash).digest())
            .decode()).encode()
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()


# -- AUTH packets -----------------------------------------------------------------------------


def auth_packet(reason, method, data=None):
    props = [(AUTHENTICATION_METHOD, method)]
    if data is not None:
        props.append((AUTHENTICATION_DATA, data))
    return packet(0xF0, bytes([reason]) + properties(props))


def parse_auth(pkt):
    assert pkt.type == AUTH, f"expected AUTH, got {pkt}"
    body = pkt.body
    reason = body[0]
    length, pos, shift = 0, 1, 0
    while True:
        b = body[pos]
        length |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            break
    return reason, parse_properties(body[pos:pos + length])


def scram_connect(method, client_id, client_first, username=None, props=()):
    return connect(level=5, client_id=client_id, username=username,
                   props=[(AUTHENTICATION_METHOD, method),
                          (AUTHENTICATION_DATA, client_first), *props])


class ScramTest(BrokerTestCase):
    """One 2-shard broker with SCRAM and ordinary users."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tern-scram-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pw_file = os.path.join(cls.dir, "passwords")
        tern_passwd("-c", "-b", "--scram", "sha-256", "-I", "4096", cls.pw_file, "sam", "sam-pw")
        tern_passwd("-b", "--scram", "sha-512", "-I", "4096", cls.pw_file, "sara", "sara-pw")
        tern_passwd("-b", cls.pw_file, "mo", "mo-pw")  # $7$, the default 210000 iterations
        with open(cls.pw_file, encoding="utf-8") as f:
            cls.entries = dict(line.strip().split(":", 1) for line in f if ":" in line)
        cls.CONFIG = f"""shards = 2
[limits]
connect_timeout = 2
[auth]
password_file = "{cls.pw_file}"
"""
        super().setUpClass()

    def open(self, source=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(WAIT)
        if source:
            s.bind((source, 0))
        s.connect(("127.0.0.1", self.broker.port))
        self.addCleanup(s.close)
        return s

    def scram_login(self, method, user, password, source=None, client_id=None, props=()):
        """The full exchange; returns (socket, Connack, ScramClient, server-first bytes)."""
        s = self.open(source)
        client = ScramClient(method, user, password)
        s.sendall(scram_connect(method, client_id or f"scram-{user}-{time.monotonic_ns()}",
                                client.client_first(), props=props))
        reason, props_in = parse_auth(read_packet(s, WAIT))
        self.assertEqual(reason, 0x18)
        self.assertEqual(props_in[AUTHENTICATION_METHOD], method)
        server_first = props_in[AUTHENTICATION_DATA]
        s.sendall(auth_packet(0x18, method, client.client_final(server_first)))
        return s, parse_connack(read_packet(s, WAIT), 5), client, server_first

    def assert_works(self, s):
        s.sendall(pingreq())
        self.assertEqual(read_packet(s, WAIT).type, PINGRESP)

    # -- CONNECT ---------------------------------------------------------------------------------

    def test_scram_sha256_login_with_a_scram_entry(self):
        s, ack, client, _ = self.scram_login("SCRAM-SHA-256", "sam", "sam-pw")
        self.assertEqual(ack.code, 0)
        self.assertEqual(ack.props[AUTHENTICATION_METHOD], "SCRAM-SHA-256")
        # The broker proves it knows the user's keys.
        self.assertEqual(ack.props[AUTHENTICATION_DATA], client.expected_server_final)
        self.assert_works(s)
        self.broker.wait_for_log(r"client connected: id=scram-sam-\d+ .* username='sam'")

    def test_scram_sha512_login_with_scram_and_mosquitto_entries(self):
        for user, password in (("sara", "sara-pw"), ("mo", "mo-pw")):
            with self.subTest(user=user):
                s, ack, client, _ = self.scram_login("SCRAM-SHA-512", user, password)
                self.assertEqual(ack.code, 0)
                self.assertEqual(ack.props[AUTHENTICATION_DATA], client.expected_server_final)
                self.assert_works(s)
        # The $7$ entry's salt is what SCRAM announced: the same raw bytes.
        _, iterations, salt, _ = self.entries["mo"].split("$")[1:]
        self.assertEqual(iterations, "210000")
        self.assertEqual(client.salt, base64.b64decode(salt))

    def test_scram_entries_also_check_plain_passwords(self):
        for user, password, code in (("sam", "sam-pw", 0), ("sara", "sara-pw", 0),
                                     ("sam", "wrong", 0x86)):
            with self.subTest(user=user, password=password):
                s = self.open(fresh_source())
                s.sendall(connect(level=5, client_id=f"plain-{user}", username=user,
                                  password=password.encode()))
                self.assertEqual(parse_connack(read_packet(s, WAIT), 5).code, code)

    def test_wrong_password_is_refused_after_the_throttle_delay(self):
        source = fresh_source()
        took = []
        for _ in range(2):
            start = time.monotonic()
            _, ack, _, _ = self.scram_login("SCRAM-SHA-256", "sam", "nope", source=source)
            took.append(time.monotonic() - start)
            self.assertEqual(ack.code, 0x87)
            self.assertNotIn(AUTHENTICATION_DATA, ack.props)
        self.assertGreaterEqual(took[0], 0.2)
        self.assertGreaterEqual(took[1], 0.45)
        self.broker.wait_for_log(r"wrong proof for user 'sam' \(refused after 500 ms\)")

    def test_unknown_user_and_a_user_without_credentials_for_the_method_fail_alike(self):
        salts = []
        for user in ("nobody", "nobody", "mo"):  # mo's $7$ entry cannot serve SCRAM-SHA-256
            _, ack, client, _ = self.scram_login("SCRAM-SHA-256", user, "x",
                                                 source=fresh_source())
            self.assertEqual(ack.code, 0x87)
            salts.append(client.salt)
        self.assertEqual(salts[0], salts[1])  # a stable fake salt: probing tells nothing
        self.assertEqual(len(salts[0]), 16)
        self.broker.wait_for_log(r"user 'nobody' has no SCRAM-SHA-256 credentials")
        self.broker.wait_for_log(r"user 'mo' has no SCRAM-SHA-256 credentials")

    def test_unknown_method_gets_0x8c(self):
        s = self.open()
        s.sendall(scram_connect("SCRAM-SHA-1", "sha1", b"n,,n=sam,r=abc"))
        ack = parse_connack(read_packet(s, WAIT), 5)
        self.assertEqual(ack.code, 0x8C)
        expect_closed(s)

    def test_connect_username_must_match_the_scram_user(self):
        s = self.open(fresh_source())
        client = ScramClient("SCRAM-SHA-256", "sam", "sam-pw")
        s.sendall(connect(level=5, client_id="mismatch", username="sara",
                          props=[(AUTHENTICATION_METHOD, "SCRAM-SHA-256"),
                                 (AUTHENTICATION_DATA, client.client_first())]))
        _, props = parse_auth(read_packet(s, WAIT))
        s.sendall(auth_packet(0x18, "SCRAM-SHA-256", client.client_final(
            props[AUTHENTICATION_DATA])))
        self.assertEqual(parse_connack(read_packet(s, WAIT), 5).code, 0x87)

    def test_other_packets_before_connack_are_a_protocol_error(self):
        s = self.open()
        client = ScramClient("SCRAM-SHA-256", "sam", "sam-pw")
        s.sendall(scram_connect("SCRAM-SHA-256", "early", client.client_first()))
        parse_auth(read_packet(s, WAIT))
        s.sendall(pingreq())
        self.assertEqual(parse_connack(read_packet(s, WAIT), 5).code, 0x82)
        expect_closed(s)

    def test_a_stalled_exchange_is_cut_by_the_connect_timeout(self):
        s = self.open()
        client = ScramClient("SCRAM-SHA-512", "sara", "sara-pw")
        s.sendall(scram_connect("SCRAM-SHA-512", "staller", client.client_first()))
        parse_auth(read_packet(s, WAIT))
        took = expect_closed(s, timeout=WAIT)  # never sends the client-final
        self.assertGreater(took, 1.0)
        self.broker.wait_for_log(
            r"id=<none> .* reason=0xa0 .*authentication not completed within the connect timeout")

    # -- re-authentication -----------------------------------------------------------------------

    def reauthenticate(self, s, method, user, password):
        client = ScramClient(method, user, password)
        s.sendall(auth_packet(0x19, method, client.client_first()))
        reason, props = parse_auth(read_packet(s, WAIT))
        self.assertEqual(reason, 0x18)
        s.sendall(auth_packet(0x18, method, client.client_final(props[AUTHENTICATION_DATA])))
        return client, read_packet(s, WAIT)

    def test_reauthentication_succeeds_with_the_same_method(self):
        s, ack, _, _ = self.scram_login("SCRAM-SHA-256", "sam", "sam-pw")
        self.assertEqual(ack.code, 0)
        for _ in range(2):
            client, reply = self.reauthenticate(s, "SCRAM-SHA-256", "sam", "sam-pw")
            reason, props = parse_auth(reply)
            self.assertEqual(reason, 0x00)
            self.assertEqual(props[AUTHENTICATION_METHOD], "SCRAM-SHA-256")
            self.assertEqual(props[AUTHENTICATION_DATA], client.expected_server_final)
            self.assert_works(s)

    def test_reauthentication_with_a_wrong_password_disconnects_with_0x87(self):
        s, ack, _, _ = self.scram_login("SCRAM-SHA-512", "mo", "mo-pw", source=fresh_source())
        self.assertEqual(ack.code, 0)
        _, reply = self.reauthenticate(s, "SCRAM-SHA-512", "mo", "not-mo-pw")
        self.assertEqual(parse_disconnect(reply).reason, 0x87)
        expect_closed(s)
        self.broker.wait_for_log(r"re-authentication failed: wrong proof for user 'mo'")

    def test_reauthentication_as_another_user_disconnects_with_0x87(self):
        s, ack, _, _ = self.scram_login("SCRAM-SHA-256", "sam", "sam-pw", source=fresh_source())
        self.assertEqual(ack.code, 0)
        tern_user = "sara"  # valid SHA-512 user, but the connection uses SHA-256: fake salt
        _, reply = self.reauthenticate(s, "SCRAM-SHA-256", tern_user, "sara-pw")
        self.assertEqual(parse_disconnect(reply).reason, 0x87)

    def test_reauthentication_with_another_method_is_a_protocol_error(self):
        s, ack, _, _ = self.scram_login("SCRAM-SHA-256", "sam", "sam-pw")
        self.assertEqual(ack.code, 0)
        s.sendall(auth_packet(0x19, "SCRAM-SHA-512", ScramClient("SCRAM-SHA-512", "sam",
                                                                  "x").client_first()))
        self.assertEqual(parse_disconnect(read_packet(s, WAIT)).reason, 0x82)
        expect_closed(s)

    def test_auth_without_enhanced_authentication_at_connect_is_refused(self):
        s = self.open()
        s.sendall(connect(level=5, client_id="no-method"))
        self.assertEqual(parse_connack(read_packet(s, WAIT), 5).code, 0)
        s.sendall(auth_packet(0x19, "SCRAM-SHA-256", b"n,,n=sam,r=abc"))
        self.assertEqual(parse_disconnect(read_packet(s, WAIT)).reason, 0x8C)


class SlowPasswordTest(BrokerTestCase):
    """One shard, a password entry that takes a second or more to check, and at most three
    checks pending: logins wait on the worker thread while other clients' traffic flows."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tern-slowpw-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pw_file = os.path.join(cls.dir, "passwords")
        start = time.monotonic()
        tern_passwd("-c", "-b", "-I", "1500000", cls.pw_file, "slow", "slow-pw")
        cls.check_seconds = time.monotonic() - start
        cls.CONFIG = f"""shards = 1
[limits]
connect_timeout = 60
[auth]
password_file = "{cls.pw_file}"
max_pending_logins = 3
"""
        super().setUpClass()

    def open(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(60)
        s.connect(("127.0.0.1", self.broker.port))
        self.addCleanup(s.close)
        return s

    def test_pending_password_checks_do_not_stall_other_clients(self):
        logins = []
        for i in range(4):
            s = self.open()
            s.sendall(connect(level=5, client_id=f"slow-{i}", username="slow",
                              password=b"slow-pw"))
            logins.append(s)
        # Four logins, at most three checks pending: the one the broker reads last (not always
        # the last one sent, since the shard sees the sockets readable together) is refused at
        # once with 0x89 server busy, long before any check could finish.
        readable, _, _ = select.select(logins, [], [], WAIT)
        self.assertEqual(len(readable), 1, "exactly one login answered at once")
        busy = readable[0]
        self.assertEqual(parse_connack(read_packet(busy, WAIT), 5).code, 0x89)
        logins.remove(busy)

        # Meanwhile anonymous clients on the same (only) shard exchange QoS 0 messages.
        sub = self.open()
        sub.sendall(connect(level=5, client_id="watcher"))
        self.assertEqual(parse_connack(read_packet(sub, WAIT), 5).code, 0)
        sub.sendall(subscribe(1, [("rt/x", 0)], level=5))
        self.assertEqual(read_packet(sub, WAIT).type, SUBACK)
        pub = self.open()
        pub.sendall(connect(level=5, client_id="talker"))
        self.assertEqual(parse_connack(read_packet(pub, WAIT), 5).code, 0)
        for n in range(5):
            pub.sendall(publish("rt/x", f"m{n}".encode(), level=5))
            got = read_packet(sub, WAIT)
            self.assertEqual(got.type, PUBLISH)
            self.assertTrue(got.body.endswith(f"m{n}".encode()))
        round_trips_done = time.monotonic()

        # The logins complete afterwards, one check after the other on the single worker.
        finished = []
        for s in logins:
            self.assertEqual(parse_connack(read_packet(s, 60), 5).code, 0)
            finished.append(time.monotonic())
        self.assertLess(round_trips_done, finished[-1])
        self.broker.wait_for_log(r"pending password checks \(login refused\)")

    def test_packets_sent_behind_a_connect_wait_for_its_check(self):
        s = self.open()
        s.sendall(connect(level=5, client_id="eager", username="slow", password=b"slow-pw") +
                  subscribe(1, [("eager/x", 0)], level=5) + pingreq())
        self.assertEqual(parse_connack(read_packet(s, 60), 5).code, 0)
        self.assertEqual(read_packet(s, WAIT).type, SUBACK)
        self.assertEqual(read_packet(s, WAIT).type, PINGRESP)
        s.sendall(connect(level=5, client_id="x"))  # a second CONNECT: still the protocol's rules
        self.assertEqual(parse_disconnect(read_packet(s, WAIT)).reason, 0x82)

    def test_a_wrong_password_with_packets_behind_it_still_gets_its_connack(self):
        s = self.open()
        start = time.monotonic()
        s.sendall(connect(level=5, client_id="eager-wrong", username="slow", password=b"nope") +
                  subscribe(1, [("eager/x", 0)], level=5))
        self.assertEqual(parse_connack(read_packet(s, 60), 5).code, 0x86)
        self.assertGreaterEqual(time.monotonic() - start, 0.2)  # the throttle's delay too
        expect_closed(s)


class FixedDataBroker(Broker):
    """A broker whose data directory outlives it, so a second one restores its sessions."""

    def __init__(self, data_dir, **kwargs):
        super().__init__(**kwargs)
        self.data_dir = data_dir

    def command(self):
        cmd = super().command()
        cmd[cmd.index("--data-dir") + 1] = self.data_dir
        return cmd


class RestoredSessionAclTest(unittest.TestCase):
    """A persistent session of an ACL-limited user keeps receiving after a restart, before its
    client reconnects: the store remembers whose session it is."""

    def test_messages_for_a_restored_session_are_queued_under_its_users_acl(self):
        tmp = tempfile.mkdtemp(prefix="tern-aclrestart-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pw_file = os.path.join(tmp, "passwords")
        acl_file = os.path.join(tmp, "acl")
        tern_passwd("-c", "-b", "-I", "1000", pw_file, "reader", "reader-pw")
        with open(acl_file, "w", encoding="utf-8") as f:
            f.write("topic write acl/#\n\nuser reader\ntopic read acl/#\n")
        config = f"""[auth]
password_file = "{pw_file}"
acl_file = "{acl_file}"
"""
        data = os.path.join(tmp, "data")
        port = None

        def reader_connect(broker):
            s = broker.connect(timeout=WAIT)
            s.sendall(connect(level=5, client_id="acl-reader", clean=False, username="reader",
                              password=b"reader-pw", props=[(SESSION_EXPIRY_INTERVAL, 3600)]))
            return s, parse_connack(read_packet(s, WAIT), 5)

        with FixedDataBroker(data, config=config) as broker:
            port = broker.port
            s, ack = reader_connect(broker)
            self.assertEqual(ack.code, 0)
            s.sendall(subscribe(1, [("acl/#", 1)], level=5))
            self.assertEqual(read_packet(s, WAIT).type, SUBACK)
            s.sendall(packet(0xE0, b"\x00"))  # DISCONNECT, session kept
            s.close()

        with FixedDataBroker(data, config=config, port=port) as broker:
            pub = broker.connect(timeout=WAIT)
            pub.sendall(connect(level=5, client_id="acl-writer"))
            self.assertEqual(parse_connack(read_packet(pub, WAIT), 5).code, 0)
            pub.sendall(publish("acl/news", b"while you were away", qos=1, packet_id=7, level=5))
            self.assertEqual(read_packet(pub, WAIT).type, 4)  # PUBACK
            pub.close()
            s, ack = reader_connect(broker)
            self.assertEqual(ack.code, 0)
            self.assertTrue(ack.session_present)
            got = read_packet(s, WAIT)
            self.assertEqual(got.type, PUBLISH)
            self.assertIn(b"acl/news", got.body)
            self.assertTrue(got.body.endswith(b"while you were away"))
            s.close()


if __name__ == "__main__":
    unittest.main()
