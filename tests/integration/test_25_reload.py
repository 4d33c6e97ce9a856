"""Reloading the configuration (SIGHUP, POST /api/v1/reload) with the real binary on 2 shards.

Every test keeps a paho publisher and subscriber exchanging numbered QoS 1 messages on the
first listener while the file is edited and reloaded, and checks at the end that every message
arrived, in order, and that neither client was disconnected: a reload must not disturb them.
Each broker gets its own ports in the file (no -p: it would move every plain listener to one
port).
"""

import os
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from clients import WAIT, PahoClient, shard_id
from harness import Broker, free_port
from tls_certs import make_pki

TOKEN = "reload-test-token-0123456789"


def refused(port, host="127.0.0.1"):
    """True when nothing listens on host:port any more."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return True
    return False


def served_common_name(port, ca):
    """The CN of the certificate a TLS listener presents to a new connection."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw:
        with ctx.wrap_socket(raw) as s:
            return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]


class Traffic:
    """A publisher and a subscriber exchanging numbered QoS 1 messages until stop()."""

    def __init__(self, port, name):
        self.topic = f"load/{name}"
        self.sub = PahoClient(port, shard_id(f"{name}-sub", 0), 4)
        self.pub = PahoClient(port, shard_id(f"{name}-pub", 1), 5)
        assert self.sub.subscribe(self.topic, 1) == [1]
        self.sent = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._stop.is_set():
                self.pub.publish(self.topic, str(self.sent).encode(), qos=1)
                self.sent += 1
                time.sleep(0.005)
        except AssertionError as e:  # a PUBACK that did not come
            self.error = e

    def stop(self, test):
        """Stops publishing; asserts that every message arrived once, in order, and that
        neither client was disconnected."""
        # Some more after the last reload: the exchange goes on.
        target = self.sent + 20
        deadline = time.monotonic() + WAIT * 2
        while self.sent < target and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        self._thread.join(WAIT * 2)
        test.assertIsNone(self.error)
        self.sub.subscribe(self.topic + "/end", 1)
        self.pub.publish(self.topic + "/end", b"", qos=1)
        got = [int(m.payload) for m in self.sub.until(self.topic + "/end", timeout=WAIT * 2)]
        test.assertGreaterEqual(self.sent, target)
        test.assertEqual(got, list(range(self.sent)))
        for c in (self.sub, self.pub):
            test.assertFalse(c._disconnected.is_set(), f"{c.client_id} was disconnected")
            test.assertTrue(c.client.is_connected())
        self.sub.close()
        self.pub.close()


class ReloadTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tern-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()
        self.clients = []
        self.broker = None

    def tearDown(self):
        for c in self.clients:
            c.close()
        if self.broker is not None:
            self.broker.stop()

    def start(self, config, admin_port=None):
        self.base = f"shards = 2\n[storage]\ndurability = \"memory\"\n"
        if admin_port:
            self.base += f"[admin]\nport = {admin_port}\ntoken = \"{TOKEN}\"\n"
        self.broker = Broker(config=self.base + config, port=self.port, pass_port=False).start()

    def listener(self, port, extra=""):
        return f"[[listeners]]\naddress = \"127.0.0.1\"\nport = {port}\n{extra}"

    def edit(self, config):
        with open(self.broker.config_path, "w", encoding="utf-8") as f:
            f.write(self.base + config)

    def count(self, text):
        return self.broker.log().count(text)

    def reload(self, until, how=signal.SIGHUP):
        """Reloads and waits for the log line `until` to appear once more."""
        before = self.count(until)
        if how == "api":
            req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}/api/v1/reload",
                                         method="POST")
            req.add_header("Authorization", f"Bearer {TOKEN}")
            with urllib.request.urlopen(req, timeout=5) as res:
                self.assertEqual(res.status, 200)
        else:
            self.broker.proc.send_signal(how)
        deadline = time.monotonic() + WAIT
        while self.count(until) <= before:
            self.assertLess(time.monotonic(), deadline,
                            f"'{until}' not logged after the reload\n" + self.broker.dump())
            time.sleep(0.01)

    def paho(self, port, client_id, level=4, **kwargs):
        c = PahoClient(port, client_id, level, **kwargs)
        self.clients.append(c)
        return c

    def round_trip(self, sender, receiver, topic, payload):
        sender.publish(topic, payload, qos=1)
        msg = receiver.get()
        self.assertEqual((msg.topic, msg.payload), (topic, payload))

    # -- listeners -------------------------------------------------------------------------------

    def test_listeners_open_and_close_while_clients_stay(self):
        removed, added, ws = free_port(), free_port(), free_port()
        self.start(self.listener(self.port) + self.listener(removed))
        traffic = Traffic(self.port, "listeners")
        old = self.paho(removed, "on-removed-listener", 5)
        self.assertEqual(old.subscribe("moved/#", 1), [1])

        self.edit(self.listener(self.port) + self.listener(added) +
                  self.listener(ws, "protocol = \"ws\"\npath = \"/mqtt\"\n"))
        self.reload(f"reload: listener ws 127.0.0.1:{ws} added")
        self.broker.wait_for_log(f"reload: listener mqtt 127.0.0.1:{added} added")
        self.broker.wait_for_log(f"reload: listener mqtt 127.0.0.1:{removed} removed")

        # The removed listener refuses new connections; its client keeps working both ways.
        self.assertTrue(refused(removed))
        fresh = self.paho(added, "on-added-listener", 5)
        self.round_trip(fresh, old, "moved/1", b"from the new listener")
        over_ws = self.paho(ws, "over-ws", 4, transport="websockets")
        self.round_trip(over_ws, old, "moved/2", b"over the new ws listener")
        self.assertEqual(fresh.subscribe("back/#", 1), [1])
        self.round_trip(old, fresh, "back/1", b"from the removed listener's client")
        self.assertFalse(old._disconnected.is_set())

        # Back again: the port opens once more.
        self.edit(self.listener(self.port) + self.listener(removed))
        self.reload(f"reload: listener mqtt 127.0.0.1:{removed} added")
        again = self.paho(removed, "on-reopened-listener", 4)
        self.round_trip(again, old, "moved/3", b"reopened")
        self.assertTrue(refused(added))
        traffic.stop(self)

    def test_a_listener_changes_in_place(self):
        second = free_port()
        self.start(self.listener(self.port) + self.listener(second))
        traffic = Traffic(self.port, "in-place")
        anonymous = self.paho(second, "anonymous-before", 4)
        self.assertEqual(anonymous.subscribe("still/#", 1), [1])

        self.edit(self.listener(self.port) +
                  self.listener(second, "allow_anonymous = false\nmax_connections = 5\n"))
        self.reload(f"reload: listener mqtt 127.0.0.1:{second} changed "
                    f"(max_connections, allow_anonymous)")
        # The same socket: new anonymous clients are refused (3.1.1 return code 5), the one
        # connected before stays.
        self.paho(second, "anonymous-after", 4, connect=False).connect(expect_code=5)
        self.round_trip(anonymous, anonymous, "still/here", b"yes")
        traffic.stop(self)

    def test_a_listener_that_cannot_bind_is_logged_and_the_rest_applies(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = taken.getsockname()[1]
            self.start(self.listener(self.port))
            traffic = Traffic(self.port, "bind-failure")
            self.edit("[log]\nlevel = \"debug\"\n" + self.listener(self.port) +
                      self.listener(busy))
            self.reload("reload: log.level changed (\"info\" -> \"debug\"): applied")
            self.broker.wait_for_log(f"reload: cannot open listener mqtt 127.0.0.1:{busy}: .*; "
                                     "the rest of the reload applies")
        # Not in the running configuration: the next reload tries again, and succeeds now.
        self.reload(f"reload: listener mqtt 127.0.0.1:{busy} added")
        self.paho(busy, "on-late-listener", 4)
        traffic.stop(self)

    def test_a_tls_listener_opens_and_takes_new_certificate_files(self):
        pki = make_pki(self.dir)
        tls_port = free_port()

        def tls_listener(stem):
            return self.listener(tls_port, f"protocol = \"mqtts\"\n"
                                           f"certfile = \"{pki[stem + '.crt']}\"\n"
                                           f"keyfile = \"{pki[stem + '.key']}\"\n")

        self.start(self.listener(self.port))
        traffic = Traffic(self.port, "tls")
        self.edit(self.listener(self.port) + tls_listener("server"))
        self.reload(f"reload: listener mqtts 127.0.0.1:{tls_port} added")
        tls = {"ca_certs": pki["ca.crt"], "tls_version": ssl.PROTOCOL_TLS_CLIENT}
        before = self.paho(tls_port, "tls-before", 5, tls=tls)
        self.assertEqual(before.subscribe("tls/#", 1), [1])
        self.assertEqual(served_common_name(tls_port, pki["ca.crt"]), "localhost")

        # Other files for the same listener: changed in place, new connections get them.
        self.edit(self.listener(self.port) + tls_listener("server2"))
        self.reload(f"reload: listener mqtts 127.0.0.1:{tls_port} changed (certfile, keyfile)")
        self.assertEqual(served_common_name(tls_port, pki["ca.crt"]), "localhost-2")
        after = self.paho(tls_port, "tls-after", 4, tls=tls)
        self.round_trip(after, before, "tls/x", b"both certificates at once")
        traffic.stop(self)

    # -- log, errors, restart-only settings -------------------------------------------------------

    def test_log_level_changes_live_through_sighup_and_the_admin_api(self):
        self.admin_port = free_port()
        self.start(self.listener(self.port), admin_port=self.admin_port)
        traffic = Traffic(self.port, "log-level")
        marker = "connection from"  # a debug line for every accepted connection
        self.paho(self.port, "quiet-1", 4)
        self.assertEqual(self.count(marker), 0)

        self.edit("[log]\nlevel = \"debug\"\n" + self.listener(self.port))
        self.reload("reload: log.level changed (\"info\" -> \"debug\"): applied")
        self.paho(self.port, "loud", 4)
        self.broker.wait_for_log(marker)

        self.edit("[log]\nlevel = \"info\"\n" + self.listener(self.port))
        self.reload("reload: log.level changed (\"debug\" -> \"info\"): applied", how="api")
        before = self.count(marker)
        self.paho(self.port, "quiet-2", 4)
        self.paho(self.port, "quiet-3", 5)
        self.assertEqual(self.count(marker), before)

        self.reload("configuration in", how="api")
        self.broker.wait_for_log(r"reload: the configuration in .*tern\.toml is unchanged")
        traffic.stop(self)

    def test_invalid_edit_is_reported_and_changes_nothing(self):
        added = free_port()
        self.start(self.listener(self.port))
        traffic = Traffic(self.port, "invalid")
        # After the 3 base lines: a listener (lines 4-6) and a wrong level on line 8.
        self.edit(self.listener(added) + "[log]\nlevel = \"loud\"\n")
        self.reload("the configuration stays as it was")
        self.broker.wait_for_log(
            r"reload: .*tern\.toml:8: log\.level: must be one of trace, debug, info, warn, "
            r"error, critical, off; the configuration stays as it was")
        self.assertTrue(refused(added))
        self.assertNotIn("reload: listener", self.broker.log())
        self.paho(self.port, "after-invalid", 4)

        # Fixed: everything applies now.
        self.edit(self.listener(added) + "[log]\nlevel = \"info\"\n")
        self.reload(f"reload: listener mqtt 127.0.0.1:{added} added")
        self.broker.wait_for_log(f"reload: listener mqtt 127.0.0.1:{self.port} removed")
        self.paho(added, "after-fix", 4)
        traffic.stop(self)

    def test_restart_only_settings_say_so_on_every_reload(self):
        self.start(self.listener(self.port))
        traffic = Traffic(self.port, "restart-only")
        self.edit("[sessions]\nmax_queued_messages = 5000\n[limits]\nmax_connections = 100\n" +
                  self.listener(self.port))
        line = ("reload: sessions.max_queued_messages changed (1000 -> 5000): "
                "takes effect after a restart")
        self.reload(line)
        self.broker.wait_for_log(r"reload: limits\.max_connections changed \(unset -> 100\): "
                                 "applied")
        # Still not in force: the next reload repeats it; the live one is not repeated.
        self.reload(line)
        self.assertEqual(self.count("limits.max_connections changed"), 1)
        traffic.stop(self)

    # -- auth ------------------------------------------------------------------------------------

    def test_a_new_acl_file_path_takes_effect(self):
        first = os.path.join(self.dir, "acl-first")
        second = os.path.join(self.dir, "acl-second")
        with open(first, "w", encoding="utf-8") as f:
            f.write("topic readwrite load/#\ntopic readwrite a/#\n")
        with open(second, "w", encoding="utf-8") as f:
            f.write("topic readwrite load/#\ntopic readwrite b/#\n")
        self.start(f"[auth]\nacl_file = \"{first}\"\n" + self.listener(self.port))
        traffic = Traffic(self.port, "acl")
        client = self.paho(self.port, "acl-client", 4)
        self.assertEqual(client.subscribe("b/x", 1), [0x80])
        self.assertEqual(client.subscribe("a/x", 1), [1])

        self.edit(f"[auth]\nacl_file = \"{second}\"\n" + self.listener(self.port))
        self.reload(f"reload: auth.acl_file changed (\"{first}\" -> \"{second}\"): applied")
        self.assertEqual(client.subscribe("b/x", 1), [1])
        self.assertEqual(client.subscribe("a/y", 1), [0x80])
        self.round_trip(client, client, "b/x", b"allowed now")

        # A path that cannot be read: the error names it, the second file stays in force.
        missing = os.path.join(self.dir, "missing")
        self.edit(f"[auth]\nacl_file = \"{missing}\"\n" + self.listener(self.port))
        self.reload("the configuration stays as it was")
        self.broker.wait_for_log(r"tern\.toml:5: auth\.acl_file: .*missing")
        self.assertEqual(client.subscribe("b/y", 1), [1])
        self.assertEqual(client.subscribe("a/y", 1), [0x80])
        traffic.stop(self)


if __name__ == "__main__":
    unittest.main()
