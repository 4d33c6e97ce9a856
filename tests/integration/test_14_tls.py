"""TLS listeners (protocol = "mqtts") against the real binary with real clients.

Certificates are made at test time with the openssl tool (tls_certs.py). One broker per class;
each has a plain listener (the harness's port, which its readiness probe uses) next to its TLS
listeners:
  * tls      -- server authentication only; CONNECT's username is the username
  * mutual   -- require_certificate, use_identity_as_username = "cn"
  * mutual_san -- require_certificate, use_identity_as_username = "san"
Clients: mosquitto_pub/_sub, paho-mqtt (3.1.1 and 5) and Python's ssl module for the handshake
failures, whose reasons the broker must log with the client's address.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import warnings

from clients import WAIT, MosquittoSub, PahoClient
from harness import (CONNACK, Broker, Closed, connect, expect_closed, free_port, parse_connack,
                     read_packet, tern_binary)
from tls_certs import make_pki

HOST = "127.0.0.1"


def tls_socket(port, ca=None, cert=None, key=None, minimum=None, maximum=None, weak=False):
    """A TLS client socket to the broker; the handshake runs here (raises ssl.SSLError when
    the client side refuses or sees an alert)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is not None:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    if weak:  # let this client offer protocol versions its library would refuse by policy
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: that is the point of asking for it
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    raw = socket.create_connection((HOST, port), timeout=WAIT)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


def mqtt_over(sock, client_id, level=4):
    """Sends CONNECT on `sock`; returns the CONNACK's code."""
    sock.sendall(connect(level=level, client_id=client_id))
    pkt = read_packet(sock, timeout=WAIT)
    if pkt.type != CONNACK:
        raise AssertionError(f"expected CONNACK, got packet type {pkt.type}")
    return parse_connack(pkt, level).code


def peer_subject(port, ca):
    """(commonName, serialNumber) of the certificate a new connection is served."""
    with tls_socket(port, ca=ca) as s:
        cert = s.getpeercert()
    subject = dict(item for rdn in cert["subject"] for item in rdn)
    return subject["commonName"], cert["serialNumber"]


def mosquitto(tool, port, pki, *args, cert=None):
    cmd = [tool, "-h", HOST, "-p", str(port), "--cafile", pki["ca.crt"]]
    if cert is not None:
        cmd += ["--cert", pki[f"{cert}.crt"], "--key", pki[f"{cert}.key"]]
    return cmd + list(args)


class TlsBrokerTestCase(unittest.TestCase):
    """Makes the PKI, then starts a broker whose configuration EXTRA_LISTENERS(cls) extends."""

    CONNECT_TIMEOUT = "10s"

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="tern-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, True)
        cls.pki = make_pki(cls.pki_dir)
        cls.ports = {name: free_port() for name in ("tls", "mutual", "mutual_san")}
        config = (f"shards = 2\n[storage]\ndurability = \"memory\"\n"
                  f"[limits]\nconnect_timeout = \"{cls.CONNECT_TIMEOUT}\"\n"
                  f"[[listeners]]\naddress = \"{HOST}\"\n" + cls.listeners())
        cls.broker = Broker(config=config).start()
        cls.addClassCleanup(cls.broker.stop)

    @classmethod
    def listener(cls, name, extra="", cert="server"):
        p = cls.pki
        return (f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.ports[name]}\n"
                f"protocol = \"mqtts\"\ncertfile = \"{p[cert + '.crt']}\"\n"
                f"keyfile = \"{p[cert + '.key']}\"\n{extra}")

    @classmethod
    def listeners(cls):
        ca = cls.pki["ca.crt"]
        return (cls.listener("tls")
                + cls.listener("mutual", f"cafile = \"{ca}\"\nrequire_certificate = true\n"
                               "use_identity_as_username = \"cn\"\n")
                + cls.listener("mutual_san", f"cafile = \"{ca}\"\nrequire_certificate = true\n"
                               "use_identity_as_username = \"san\"\n"))

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's own failure
                pass

    def paho(self, port, client_id, level=4, cert=None, **kwargs):
        tls = {"ca_certs": self.pki["ca.crt"], "tls_version": ssl.PROTOCOL_TLS_CLIENT}
        if cert is not None:
            tls.update(certfile=self.pki[f"{cert}.crt"], keyfile=self.pki[f"{cert}.key"])
        c = PahoClient(port, client_id, level=level, tls=tls, **kwargs)
        self.clients.append(c)
        return c

    def assert_refused(self, port, client_id, expected_log, **tls_args):
        """The handshake fails (at once, or, with TLS 1.3 client certificates, with the
        server's alert on the first read): no CONNACK, and the broker logs why, naming the
        client's address."""
        local_port = None
        try:
            with tls_socket(port, ca=self.pki["ca.crt"], **tls_args) as s:
                local_port = s.getsockname()[1]
                code = mqtt_over(s, client_id)
            self.fail(f"{client_id}: got CONNACK {code:#x} instead of a refused handshake")
        except (ssl.SSLError, Closed, ConnectionError):
            pass
        address = rf"127\.0\.0\.1:{local_port}" if local_port else r"127\.0\.0\.1:\d+"
        self.broker.wait_for_log(rf"TLS handshake with {address} failed: .*{expected_log}")
        self.assertNotIn(f"client connected: id={client_id} ", self.broker.log())


class TlsExchangeTest(TlsBrokerTestCase):

    def test_mosquitto_clients_exchange_over_mqtts(self):
        port = self.ports["tls"]
        sub = MosquittoSub(port, "tls/mosq", 1, client_id="mosq-tls-sub")
        sub.cmd[sub.cmd.index("-p") + 2:sub.cmd.index("-p") + 2] = ["--cafile", self.pki["ca.crt"]]
        sub.start()
        try:
            subprocess.run(mosquitto("mosquitto_pub", port, self.pki, "-t", "tls/mosq", "-m",
                                     "over tls", "-i", "mosq-tls-pub"), check=True, timeout=WAIT)
            self.assertEqual(sub.messages(), [(0, 0, "tls/mosq", "over tls")])
        finally:
            sub.stop()
        self.broker.wait_for_log(r"client connected: id=mosq-tls-pub .*transport=mqtts")

    def test_mosquitto_clients_with_client_certificates(self):
        port = self.ports["mutual"]
        sub = subprocess.Popen(mosquitto("mosquitto_sub", port, self.pki, "-t", "tls/mutual",
                                         "-C", "1", "-i", "mosq-mutual-sub", cert="client"),
                               stdout=subprocess.PIPE)
        try:
            self.broker.wait_for_log(r"client connected: id=mosq-mutual-sub ")
            time.sleep(0.2)  # SUBSCRIBE follows CONNECT at once; give it time to be handled
            subprocess.run(mosquitto("mosquitto_pub", port, self.pki, "-t", "tls/mutual", "-m",
                                     "mutual", "-i", "mosq-mutual-pub", cert="client"),
                           check=True, timeout=WAIT)
            out, _ = sub.communicate(timeout=WAIT)
            self.assertEqual(out.decode().strip(), "mutual")
        finally:
            if sub.poll() is None:
                sub.kill()
                sub.wait()

    def test_paho_311_and_5_over_tls(self):
        port = self.ports["tls"]
        for level in (4, 5):
            with self.subTest(level=level):
                sub = self.paho(port, f"paho-tls-sub-{level}", level)
                self.assertEqual(sub.subscribe(f"tls/paho/{level}", 1), [1])
                pub = self.paho(port, f"paho-tls-pub-{level}", level)
                pub.publish(f"tls/paho/{level}", b"x" * 70_000, qos=1)  # several TLS records
                msg = sub.get()
                self.assertEqual((msg.topic, msg.payload), (f"tls/paho/{level}", b"x" * 70_000))

    def test_plain_and_tls_clients_exchange_messages(self):
        plain_sub = PahoClient(self.broker.port, "plain-sub")
        self.clients.append(plain_sub)
        self.assertEqual(plain_sub.subscribe("mixed/to-plain", 1), [1])
        tls_sub = self.paho(self.ports["mutual"], "tls-sub", 5, cert="client")
        self.assertEqual(tls_sub.subscribe("mixed/to-tls", 1), [1])
        tls_pub = self.paho(self.ports["tls"], "tls-pub", 4)
        tls_pub.publish("mixed/to-plain", b"from tls", qos=1)
        plain_pub = PahoClient(self.broker.port, "plain-pub", 5)
        self.clients.append(plain_pub)
        plain_pub.publish("mixed/to-tls", b"from plain", qos=1)
        self.assertEqual(plain_sub.get().payload, b"from tls")
        self.assertEqual(tls_sub.get().payload, b"from plain")
        self.broker.wait_for_log(r"client connected: id=plain-sub .*transport=mqtt\b(?!s)")

    def test_client_with_the_wrong_ca_fails_verification(self):
        port = self.ports["tls"]
        with self.assertRaises(ssl.SSLCertVerificationError):
            tls_socket(port, ca=self.pki["other-ca.crt"]).close()
        result = subprocess.run(
            ["mosquitto_pub", "-h", HOST, "-p", str(port), "--cafile", self.pki["other-ca.crt"],
             "-t", "tls/never", "-m", "x", "-i", "wrong-ca"], capture_output=True, timeout=WAIT)
        self.assertNotEqual(result.returncode, 0)
        self.broker.wait_for_log(r"TLS handshake with 127\.0\.0\.1:\d+ failed: .*unknown ca")
        self.assertNotIn("client connected: id=wrong-ca ", self.broker.log())

    def test_tls_1_1_is_refused_and_1_2_accepted(self):
        port = self.ports["tls"]
        self.assert_refused(port, "tls11", "unsupported protocol", weak=True,
                            minimum=ssl.TLSVersion.TLSv1_1, maximum=ssl.TLSVersion.TLSv1_1)
        with tls_socket(port, ca=self.pki["ca.crt"], maximum=ssl.TLSVersion.TLSv1_2) as s:
            self.assertEqual(s.version(), "TLSv1.2")
            self.assertEqual(mqtt_over(s, "tls12"), 0)
        with tls_socket(port, ca=self.pki["ca.crt"]) as s:
            self.assertEqual(s.version(), "TLSv1.3")
            self.assertEqual(mqtt_over(s, "tls13", level=5), 0)

    def test_openssl_s_client_with_tls_1_1_is_refused(self):
        result = subprocess.run(
            ["openssl", "s_client", "-connect", f"{HOST}:{self.ports['tls']}", "-tls1_1",
             "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", self.pki["ca.crt"]],
            input=b"", capture_output=True, timeout=WAIT)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"alert protocol version", result.stdout + result.stderr)


class ClientCertificateTest(TlsBrokerTestCase):

    def test_client_without_certificate_is_refused(self):
        self.assert_refused(self.ports["mutual"], "no-cert", "peer did not return a certificate")

    def test_expired_certificate_is_refused(self):
        self.assert_refused(self.ports["mutual"], "expired", r"certificate has expired",
                            cert=self.pki["expired.crt"], key=self.pki["expired.key"])

    def test_certificate_from_another_ca_is_refused(self):
        self.assert_refused(self.ports["mutual"], "rogue", r"unable to get local issuer",
                            cert=self.pki["rogue.crt"], key=self.pki["rogue.key"])

    def test_valid_certificate_is_accepted(self):
        with tls_socket(self.ports["mutual"], ca=self.pki["ca.crt"], cert=self.pki["client.crt"],
                        key=self.pki["client.key"]) as s:
            self.assertEqual(mqtt_over(s, "good-cert", level=5), 0)

    def test_common_name_becomes_the_username(self):
        # CONNECT claims another name; the certificate wins.
        self.paho(self.ports["mutual"], "cn-user", 5, cert="client", username="claimed-name")
        self.broker.wait_for_log(r"client connected: id=cn-user .*transport=mqtts "
                                 r"username='client-cn' \(certificate\)")

    def test_first_alt_name_becomes_the_username(self):
        self.paho(self.ports["mutual_san"], "san-user", 4, cert="client", username="claimed")
        self.broker.wait_for_log(r"client connected: id=san-user .*"
                                 r"username='client@example\.com' \(certificate\)")

    def test_without_identity_the_certificate_names_nobody(self):
        # Without use_identity_as_username the certificate does not name the user; the name in
        # CONNECT, which no password file verifies here, counts as anonymous.
        self.paho(self.ports["tls"], "plain-user", 4, username="claimed-name")
        line = self.broker.wait_for_log(r"client connected: id=plain-user .*")
        self.assertNotIn("(certificate)", line.group(0))
        self.assertNotIn("username=", line.group(0))

    def test_client_ids_on_every_shard_keep_their_identity(self):
        # Half of these client identifiers live on the other shard: the TLS session moves
        # there with the connection and still names the client.
        for i in range(6):
            client_id = f"moving-{i}"
            with tls_socket(self.ports["mutual"], ca=self.pki["ca.crt"],
                            cert=self.pki["client.crt"], key=self.pki["client.key"]) as s:
                self.assertEqual(mqtt_over(s, client_id), 0)
            self.broker.wait_for_log(rf"client connected: id={client_id} .*"
                                     r"username='client-cn' \(certificate\)")


class HandshakeTimeoutTest(TlsBrokerTestCase):
    CONNECT_TIMEOUT = "1s"

    def test_silent_tcp_client_is_closed_after_the_connect_timeout(self):
        with socket.create_connection((HOST, self.ports["tls"]), timeout=WAIT) as s:
            local_port = s.getsockname()[1]
            took = expect_closed(s, timeout=4.0)
        self.assertGreater(took, 0.8)
        self.broker.wait_for_log(rf"TLS handshake with 127\.0\.0\.1:{local_port} not completed "
                                 r"within the connect timeout")

    def test_half_done_handshake_is_closed_too(self):
        # A ClientHello's first bytes, then silence.
        with socket.create_connection((HOST, self.ports["tls"]), timeout=WAIT) as s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            took = expect_closed(s, timeout=4.0)
        self.assertGreater(took, 0.8)


class ReloadTest(TlsBrokerTestCase):
    """The TLS listener serves files that the test replaces. The listener names copies, so
    the PKI's own files stay as they are."""

    @classmethod
    def listeners(cls):
        p = cls.pki
        cls.live_cert = os.path.join(cls.pki_dir, "live.crt")
        cls.live_key = os.path.join(cls.pki_dir, "live.key")
        shutil.copy(p["server.crt"], cls.live_cert)
        shutil.copy(p["server.key"], cls.live_key)
        return (f"[[listeners]]\naddress = \"{HOST}\"\nport = {cls.ports['tls']}\n"
                f"protocol = \"mqtts\"\ncertfile = \"{cls.live_cert}\"\n"
                f"keyfile = \"{cls.live_key}\"\n")

    def install(self, stem):
        """Replaces the served files with `stem`'s, each by an atomic rename."""
        for source, target in ((f"{stem}.crt", self.live_cert), (f"{stem}.key", self.live_key)):
            shutil.copy(self.pki[source], target + ".new")
            os.replace(target + ".new", target)

    def count(self, pattern):
        return len(re.findall(pattern, self.broker.log()))

    def wait_count(self, pattern, count, timeout=WAIT + 3):
        deadline = time.monotonic() + timeout
        while self.count(pattern) < count:
            if time.monotonic() > deadline:
                self.fail(f"{count} x /{pattern}/ not logged\n" + self.broker.dump())
            time.sleep(0.05)

    def wait_subject(self, name, timeout=WAIT):
        """The certificate new connections get, once it is `name`'s; returns (name, serial)."""
        deadline = time.monotonic() + timeout
        while True:
            subject = peer_subject(self.ports["tls"], self.pki["ca.crt"])
            if subject[0] == name or time.monotonic() > deadline:
                self.assertEqual(subject[0], name)
                return subject
            time.sleep(0.1)

    def test_reload_keeps_connections_and_serves_the_new_certificate(self):
        port = self.ports["tls"]
        self.wait_subject("localhost")
        old = self.paho(port, "before-reload", 5)
        self.assertEqual(old.subscribe("reload/t", 1), [1])

        # SIGHUP: the line after "received SIGHUP" is the reload's outcome.
        sighup_reloads = r"received SIGHUP: reloading\n.*certificates reloaded"
        before = self.count(sighup_reloads)
        self.install("server2")
        self.broker.proc.send_signal(signal.SIGHUP)
        self.wait_count(sighup_reloads, before + 1)
        _, serial = self.wait_subject("localhost-2", timeout=0)
        expected_serial = subprocess.run(
            ["openssl", "x509", "-in", self.pki["server2.crt"], "-noout", "-serial"],
            capture_output=True, check=True).stdout.decode().strip().split("=")[1]
        self.assertEqual(serial.upper(), expected_serial.upper())
        # The connection made before the reload still works, both ways.
        new = self.paho(port, "after-reload", 4)
        new.publish("reload/t", b"after sighup", qos=1)
        self.assertEqual(old.get().payload, b"after sighup")
        old.publish("reload/t", b"old still sends", qos=1)
        self.assertEqual(old.get().payload, b"old still sends")

        # A change on disk, no signal: picked up by the file watcher within its 2 s poll.
        time.sleep(2.5)  # the watcher has seen (and reloaded) the change above by now
        changes = self.count("TLS certificate files changed on disk")
        self.install("server")
        self.wait_count("TLS certificate files changed on disk", changes + 1)
        self.wait_subject("localhost")
        new.publish("reload/t", b"after file change", qos=1)
        self.assertEqual(old.get().payload, b"after file change")

    def test_failed_reload_keeps_the_current_certificate(self):
        port = self.ports["tls"]
        current = self.wait_subject("localhost")
        # A key that belongs to another certificate.
        shutil.copy(self.pki["client.key"], self.live_key + ".new")
        os.replace(self.live_key + ".new", self.live_key)
        try:
            self.broker.proc.send_signal(signal.SIGHUP)
            self.wait_count(r"reload failed, keeping the current certificates: keyfile: "
                            r"the private key in .* does not match", 1)
            self.assertEqual(peer_subject(port, self.pki["ca.crt"]), current)
            with tls_socket(port, ca=self.pki["ca.crt"]) as s:
                self.assertEqual(mqtt_over(s, "after-failed-reload"), 0)
        finally:
            reloads = self.count("certificates reloaded")
            self.install("server")
            self.broker.proc.send_signal(signal.SIGHUP)
            self.wait_count("certificates reloaded", reloads + 1)


class ConfigErrorTest(unittest.TestCase):
    """A TLS listener that cannot work stops Tern before it starts, with exit code 2 and a
    line naming file, line, key and reason."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tern-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pki = make_pki(cls.dir)

    def error_of(self, listener):
        path = os.path.join(self.dir, "bad.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("shards = 1\n[[listeners]]\nprotocol = \"mqtts\"\nport = 1\n" + listener)
        result = subprocess.run([tern_binary(), "-c", path, "--data-dir",
                                 os.path.join(self.dir, "data")],
                                capture_output=True, timeout=WAIT + 5)
        self.assertEqual(result.returncode, 2, result.stderr)
        return result.stderr.decode()

    def test_key_that_does_not_match(self):
        err = self.error_of('certfile = "server.crt"\nkeyfile = "client.key"\n')
        self.assertIn(f"bad.toml:6: listeners[0].keyfile: the private key in "
                      f"'{self.pki['client.key']}' does not match the certificate", err)

    def test_missing_certificate_file(self):
        err = self.error_of('certfile = "gone.crt"\nkeyfile = "server.key"\n')
        self.assertIn("bad.toml:5: listeners[0].certfile: '", err)
        self.assertIn("gone.crt' does not exist", err)


if __name__ == "__main__":
    unittest.main()
