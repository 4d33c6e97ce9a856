"""Authentication and authorisation (password file and ACL file in Mosquitto's formats) on a
2-shard broker with real clients: paho 3.1.1 and 5.0, mosquitto_pub/mosquitto_sub with -u/-P,
and raw sockets where a reason code must be read exactly.

The password file is made by `tern passwd` (batch and prompted) and mosquitto_passwd together.
Listener 127.0.0.1 admits anonymous clients (the loopback default); 127.0.0.2 is set to refuse
them. Every failed login is slowed down per source address, so the tests that fail logins bind
their clients to addresses of their own (127.0.1.x) and wait no longer than the first delay.
"""

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from clients import (MOSQUITTO_VERSIONS, WAIT, PahoClient, PubSubTestCase, RawClient, shard_id)
from harness import (Broker, connect, free_port, parse_connack, read_packet, tern_binary,
                     wait_for_port)

ACL = """\
# anonymous clients
topic readwrite public/#

user alice
topic readwrite a/#
topic deny a/secret/#
topic read retained/ok/#
topic write will/alice/#

user bob
topic readwrite #

user dave
topic readwrite d/#

# everyone
pattern readwrite clients/%c/#
pattern read users/%u/#
"""

PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
_sources = itertools.count(1)


def fresh_source():
    """A loopback source address no other login used: its failures start from scratch."""
    return f"127.0.1.{next(_sources)}"


def tern_passwd(*args, stdin=None):
    return subprocess.run([tern_binary(), "passwd", *args], input=stdin, capture_output=True,
                          timeout=30)


def raw_login(port, level, username=None, password=None, host="127.0.0.1", source=None,
              client_id="raw-login"):
    """CONNECT from a raw socket; returns (CONNACK code, seconds until it came)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(WAIT + 10)
    try:
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        start = time.monotonic()
        s.sendall(connect(level=level, client_id=client_id, username=username,
                          password=None if password is None else password.encode()))
        code = parse_connack(read_packet(s, WAIT + 10), level).code
        return code, time.monotonic() - start
    finally:
        s.close()


class AuthTest(PubSubTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tern-auth-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pw_file = os.path.join(cls.dir, "passwords")
        cls.acl_file = os.path.join(cls.dir, "acl")
        # tern passwd writes alice (batch) and bob (prompted), mosquitto_passwd adds carol.
        r = tern_passwd("-c", "-b", cls.pw_file, "alice", PASSWORDS["alice"])
        assert r.returncode == 0, r.stderr
        r = tern_passwd(cls.pw_file, "bob", stdin=f"{PASSWORDS['bob']}\n{PASSWORDS['bob']}\n"
                        .encode())
        assert r.returncode == 0, r.stderr
        subprocess.run(["mosquitto_passwd", "-b", cls.pw_file, "carol", PASSWORDS["carol"]],
                       check=True, capture_output=True)
        with open(cls.acl_file, "w", encoding="utf-8") as f:
            f.write(ACL)
        cls.CONFIG = f"""shards = 2
[auth]
password_file = "{cls.pw_file}"
acl_file = "{cls.acl_file}"

[[listeners]]
address = "127.0.0.1"
[[listeners]]
address = "127.0.0.2"
allow_anonymous = false
"""
        super().setUpClass()

    def user(self, name, level=4, client_id=None, **kwargs):
        return self.paho(client_id or shard_id(f"{name}-{level}-{time.monotonic_ns()}", 0),
                         level, username=name, password=PASSWORDS[name], **kwargs)

    def raw_user(self, name, level, client_id, **kwargs):
        return self.rawc(client_id, level, username=name, password=PASSWORDS[name].encode(),
                         **kwargs)

    def sighup_and_wait(self, message):
        before = self.broker.log().count(message)
        self.broker.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT
        while self.broker.log().count(message) <= before:
            self.assertLess(time.monotonic(), deadline, self.broker.dump())
            time.sleep(0.01)

    # -- authentication --------------------------------------------------------------------------

    def test_right_password_is_accepted_from_every_client(self):
        for level in (4, 5):
            for name in ("alice", "bob", "carol"):
                with self.subTest(level=level, user=name):
                    self.assertEqual(self.user(name, level).connack[1], 0)
        for level in (4, 5):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.2", "-p", str(self.broker.port),
                            "-V", MOSQUITTO_VERSIONS[level], "-u", "carol", "-P", "carol-pw",
                            "-t", "public/x", "-m", "hi"], check=True, timeout=WAIT + 2)

    def test_wrong_password_and_unknown_user_are_refused(self):
        cases = [(5, "alice", "nope", 0x86), (4, "alice", "nope", 4),
                 (5, "mallory", "x", 0x86), (4, "mallory", "x", 4), (5, "alice", None, 0x86)]
        for level, name, password, code in cases:
            with self.subTest(level=level, user=name):
                c = self.paho(f"bad-{name}-{level}", level, username=name, password=password,
                              source_address=fresh_source(), connect=False)
                self.assertEqual(c.connect(expect_code=None)[1], code)
        r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                            "-A", fresh_source(), "-u", "alice", "-P", "wrong", "-t", "a/x",
                            "-m", "x"], capture_output=True, timeout=WAIT + 2)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"bad user name or password", r.stderr.lower())
        self.broker.wait_for_log(r"wrong password for user 'alice' \(refused after \d+ ms\)")

    def test_anonymous_clients_are_refused_where_the_listener_says_so(self):
        port = self.broker.port
        self.assertEqual(raw_login(port, 5, host="127.0.0.2")[0], 0x87)
        self.assertEqual(raw_login(port, 4, host="127.0.0.2")[0], 5)
        self.assertEqual(raw_login(port, 4, "alice", "alice-pw", host="127.0.0.2")[0], 0)
        self.assertEqual(raw_login(port, 4, host="127.0.0.1")[0], 0)  # loopback default
        r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.2", "-p", str(port), "-t", "public/#",
                            "-C", "1", "-W", "2"], capture_output=True, timeout=WAIT + 2)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not authorised", r.stderr.lower())

    def test_failed_logins_from_one_address_wait_longer_each_time(self):
        # carol's entry (mosquitto_passwd, 101 iterations) is cheap to check: the times measured
        # are the throttle's delays, not the hashing.
        source = fresh_source()
        delays = [raw_login(self.broker.port, 4, "carol", "bad", source=source)
                  for _ in range(3)]
        self.assertEqual([code for code, _ in delays], [4, 4, 4])
        first, second, third = (took for _, took in delays)
        self.assertGreaterEqual(first, 0.2)
        self.assertGreaterEqual(second, 0.45)
        self.assertGreaterEqual(third, 0.9)
        # Another address is not slowed down by them.
        other = raw_login(self.broker.port, 4, "carol", "bad", source=fresh_source())
        self.assertEqual(other[0], 4)
        self.assertLess(other[1], third)
        self.broker.wait_for_log(r"wrong password for user 'carol' \(refused after 1000 ms\)")

    # -- authorisation ---------------------------------------------------------------------------

    def test_subscribe_outside_the_acl_is_refused_per_filter(self):
        c5 = self.user("alice", 5)
        self.assertEqual(c5.subscribe([("a/x", 1), ("b/x", 1), ("a/secret/#", 0)]),
                         [1, 0x87, 0x87])
        c4 = self.user("alice", 4)
        self.assertEqual(c4.subscribe([("a/x", 1), ("b/x", 1)]), [1, 0x80])

    def test_publish_outside_the_acl_mqtt5_gets_0x87_and_311_is_dropped_but_acked(self):
        watcher = self.user("bob", 4)
        watcher.subscribe("#", 1)
        p5 = self.raw_user("alice", 5, shard_id("pub5", 0))
        self.assertEqual(p5.publish("b/denied5", b"x", qos=1), 0x87)
        self.assertEqual(p5.publish("b/denied5", b"x", qos=2), 0x87)
        self.assertEqual(p5.publish("a/ok5", b"x", qos=1), 0)
        p4 = self.raw_user("alice", 4, shard_id("pub4", 0))
        self.assertEqual(p4.publish("b/denied4", b"x", qos=1), 0)
        self.assertEqual(p4.publish("b/denied4", b"x", qos=2), 0)
        p4.publish("b/denied4", b"x", qos=0)
        p4.publish("a/barrier", b"x", qos=1)
        got = [m.topic for m in watcher.until("a/barrier")]
        self.assertNotIn("b/denied5", got)
        self.assertNotIn("b/denied4", got)
        self.assertIn("a/ok5", got)
        self.broker.wait_for_log(r"publish to 'b/denied4' refused by the ACL")

    def test_wildcard_subscriber_receives_only_topics_it_may_read(self):
        for level in (4, 5):
            with self.subTest(level=level):
                reader = self.user("alice", level, client_id=shard_id(f"wild{level}", 1))
                self.assertEqual(reader.subscribe("#", 1), [1])
                bob = self.user("bob", 4, client_id=shard_id(f"wildpub{level}", 0))
                for topic in ("b/x", "a/secret/x", "a/x", "public/x", "a/barrier"):
                    bob.publish(topic, b"m", qos=1)
                got = [m.topic for m in reader.until("a/barrier") if not m.retain]
                self.assertEqual(got, ["a/x"])
        # mosquitto_sub as alice on "#" sees the same.
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                                "-u", "alice", "-P", "alice-pw", "-t", "#", "-R", "-C", "1", "-W", "5",
                                "-F", "%t"], stdout=subprocess.PIPE)
        time.sleep(0.5)
        bob = self.user("bob", 4)
        bob.publish("b/hidden", b"m", qos=1)
        bob.publish("a/visible", b"m", qos=1)
        out, _ = sub.communicate(timeout=WAIT + 5)
        self.assertEqual(out.decode().split(), ["a/visible"])

    def test_retained_messages_outside_the_read_acl_are_not_delivered(self):
        bob = self.user("bob", 4)
        bob.publish("retained/no/x", b"secret", qos=1, retain=True)
        bob.publish("retained/ok/x", b"fine", qos=1, retain=True)
        for level in (4, 5):
            with self.subTest(level=level):
                alice = self.user("alice", level)
                self.assertEqual(alice.subscribe("retained/#", 1), [1])
                bob.publish("retained/ok/barrier", b"b", qos=1)
                got = [(m.topic, m.payload) for m in alice.until("retained/ok/barrier")]
                self.assertEqual(got, [("retained/ok/x", b"fine")])

    def test_a_will_the_client_may_not_publish_is_not_published(self):
        watcher = self.user("bob", 4, client_id=shard_id("will-watch", 1))
        watcher.subscribe("#", 1)
        denied = self.user("alice", 5, client_id=shard_id("will-denied", 0),
                           will=dict(topic="b/will", payload=b"no", qos=1))
        denied.drop()
        self.wait_gone(denied.client_id)
        allowed = self.user("alice", 4, client_id=shard_id("will-allowed", 0),
                            will=dict(topic="will/alice/ok", payload=b"yes", qos=1))
        allowed.drop()
        self.assertEqual(watcher.until("will/alice/ok"), [])
        self.broker.wait_for_log(r"publish to 'b/will' refused by the ACL")

    def test_patterns_substitute_client_id_and_username(self):
        for level in (4, 5):
            with self.subTest(level=level):
                refused = 0x87 if level == 5 else 0x80
                alice = self.user("alice", level, client_id=f"dev-{level}")
                self.assertEqual(alice.subscribe([(f"clients/dev-{level}/#", 1),
                                                  ("clients/other/#", 1),
                                                  ("users/alice/#", 1),
                                                  ("users/bob/#", 1)]),
                                 [1, refused, 1, refused])
                alice.publish(f"clients/dev-{level}/state", b"on", qos=1)
                self.assertEqual(alice.get().topic, f"clients/dev-{level}/state")
        # The anonymous section and %c apply to anonymous clients too.
        anon = self.paho("anon-dev", 4)
        self.assertEqual(anon.subscribe([("clients/anon-dev/#", 0), ("public/#", 0),
                                         ("a/#", 0)]), [0, 0, 0x80])

    # -- reload ----------------------------------------------------------------------------------

    def test_sighup_reloads_users_and_keeps_connections(self):
        alice = self.user("alice", 5)
        alice.subscribe("a/reload", 1)
        self.assertEqual(raw_login(self.broker.port, 5, "dave", "dave-pw",
                                   source=fresh_source())[0], 0x86)
        r = tern_passwd("-b", self.pw_file, "dave", "dave-pw")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.sighup_and_wait("auth: reloaded")
        dave = self.paho("dave-1", 5, username="dave", password="dave-pw")
        self.assertEqual(dave.subscribe([("d/x", 0), ("a/x", 0)]), [0, 0x87])
        alice.publish("a/reload", b"still here", qos=1)
        self.assertEqual(alice.get().payload, b"still here")

        # A damaged file on reload: logged with its line, the previous files stay.
        with open(self.acl_file, "a", encoding="utf-8") as f:
            f.write("allow everything\n")
        try:
            self.sighup_and_wait("auth: reload failed")
            self.assertIn(f"{self.acl_file}:{ACL.count(chr(10)) + 1}: unknown keyword 'allow'",
                          self.broker.log())
            self.assertEqual(dave.subscribe("a/y", 0), [0x87])
        finally:
            with open(self.acl_file, "w", encoding="utf-8") as f:
                f.write(ACL)
            self.sighup_and_wait("auth: reloaded")
        tern_passwd("-D", self.pw_file, "dave")


class PasswdCommandTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tern-passwd-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.file = os.path.join(self.dir, "pw")

    def test_create_update_delete_keep_other_lines_and_mode_0600(self):
        subprocess.run(["mosquitto_passwd", "-c", "-b", self.file, "old", "old-pw"], check=True)
        with open(self.file, encoding="utf-8") as f:
            made = f.read()
        with open(self.file, "w", encoding="utf-8") as f:
            f.write("# managed by hand\n" + made)  # Tern keeps comments; Mosquitto has none
        self.assertEqual(tern_passwd("-b", self.file, "new", "new-pw").returncode, 0)
        self.assertEqual(tern_passwd("-b", self.file, "old", "changed").returncode, 0)
        with open(self.file, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "# managed by hand")
        self.assertEqual([line.split(":")[0] for line in lines[1:]], ["old", "new"])
        self.assertTrue(all(line.split(":")[1].startswith("$7$210000$") for line in lines[1:]))
        self.assertEqual(os.stat(self.file).st_mode & 0o777, 0o600)
        self.assertEqual(tern_passwd("-D", self.file, "old").returncode, 0)
        r = tern_passwd("-D", self.file, "old")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not in", r.stderr)

    def test_errors_are_reported(self):
        r = tern_passwd("-b", self.file, "x", "y")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"does not exist (use -c to create it)", r.stderr)
        r = tern_passwd("-c", self.file, "x", stdin=b"one\ntwo\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"do not match", r.stderr)
        self.assertEqual(tern_passwd("-c", "-b", self.file, "a:b", "pw").returncode, 1)

    @unittest.skipUnless(shutil.which("mosquitto"), "mosquitto broker not installed")
    def test_mosquitto_accepts_entries_tern_writes(self):
        self.assertEqual(tern_passwd("-c", "-b", self.file, "zoe", "zoe-pw").returncode, 0)
        port = free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"user {pwd.getpwuid(os.getuid()).pw_name}\nlistener {port} 127.0.0.1\n"
                    f"password_file {self.file}\nallow_anonymous false\n")
        proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_for_port(port, proc=proc))
            ok = subprocess.run(["mosquitto_pub", "-p", str(port), "-u", "zoe", "-P", "zoe-pw",
                                 "-t", "t", "-m", "m"], capture_output=True, timeout=WAIT + 2)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            bad = subprocess.run(["mosquitto_pub", "-p", str(port), "-u", "zoe", "-P", "nope",
                                  "-t", "t", "-m", "m"], capture_output=True, timeout=WAIT + 2)
            self.assertNotEqual(bad.returncode, 0)
        finally:
            proc.terminate()
            proc.wait(5)


class AuthConfigTest(unittest.TestCase):

    def run_tern(self, config):
        with tempfile.TemporaryDirectory(prefix="tern-authcfg-") as d:
            path = os.path.join(d, "tern.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config.replace("DIR", d))
            with open(os.path.join(d, "pw"), "w", encoding="utf-8") as f:
                f.write("# users\nbroken line\n")
            return subprocess.run([tern_binary(), "-c", path, "-p", str(free_port()),
                                   "--data-dir", os.path.join(d, "data")],
                                  capture_output=True, timeout=20)

    def test_damaged_or_missing_files_stop_the_start_with_file_and_line(self):
        r = self.run_tern('[auth]\npassword_file = "DIR/pw"\n')
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr.decode(), r"tern\.toml:2: auth\.password_file: .*/pw:2: "
                                            r"expected username:hash")
        r = self.run_tern('[auth]\nacl_file = "DIR/missing"\n')
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr.decode(), r"auth\.acl_file: .*/missing: cannot read the file")
        r = self.run_tern('[[listeners]]\naddress = "127.0.0.1"\nallow_anonymous = "yes"\n')
        self.assertEqual(r.returncode, 2)
        self.assertIn("listeners[0].allow_anonymous: expected true or false", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
