"""`tern ctl`, the command-line client of the admin API, run as a real process against a real
2-shard broker with [admin] port and token and a password file user.

Every command is checked by its effect as independent paho clients see it: a connected client is
listed and `disconnect` really drops it; `publish` reaches a subscriber; `retained get|delete`
and `sessions delete` change what a new subscriber or a reconnecting client gets; `reload`
reloads. Topics and identifiers carry '/', '+', spaces and '%' to prove the escaping. Then the
refusals: wrong or missing credentials (exit 1, HTTP 401 on stderr), no port known and usage
errors (exit 2), no broker and a broker that never answers (exit 1 naming host:port). The token
must never appear in any output.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from clients import PubSubTestCase
from harness import free_port, tern_binary

TOKEN = "ctl-test-token-0123456789"
ADMIN_USER = "ops"
ADMIN_PASSWORD = "ops-secret"


def run_ctl(*args, env=None, stdin=None, timeout=30):
    """Runs `tern ctl ARGS` with no TERN_ADMIN_* variables but those in `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TERN_ADMIN_")}
    environment.update(env or {})
    return subprocess.run([tern_binary(), "ctl", *args], env=environment, input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


class CtlCase(PubSubTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tern-ctl-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        pw_file = os.path.join(cls.tmp, "passwords")
        subprocess.run([tern_binary(), "passwd", "-c", "-I", "1000", "-b", pw_file, ADMIN_USER,
                        ADMIN_PASSWORD], check=True, capture_output=True, timeout=30)
        cls.http_port = free_port()
        cls.CONFIG = (f'shards = 2\n[auth]\npassword_file = "{pw_file}"\n'
                      f'[admin]\nport = {cls.http_port}\ntoken = "{TOKEN}"\n')
        super().setUpClass()

    def ctl(self, *args, expect=0, **kwargs):
        """`tern ctl -c <the broker's configuration> ARGS`; checks the exit code."""
        return self.ctl_raw("-c", self.broker.config_path, *args, expect=expect, **kwargs)

    def ctl_raw(self, *args, expect=0, **kwargs):
        result = run_ctl(*args, **kwargs)
        self.assertEqual(result.returncode, expect,
                         f"tern ctl {' '.join(args)}\nstdout: {result.stdout}\n"
                         f"stderr: {result.stderr}")
        self.assertNotIn(TOKEN, result.stdout + result.stderr)
        return result

    def ctl_json(self, *args, **kwargs):
        return json.loads(self.ctl(*args, **kwargs).stdout)


class CommandsTest(CtlCase):

    def test_health_and_ready_pretty_printed(self):
        out = self.ctl("health").stdout
        self.assertEqual(out, '{\n  "status": "ok"\n}\n')
        self.assertEqual(self.ctl_json("ready"), {"ready": True, "store_healthy": True})

    def test_clients_search_and_disconnect(self):
        five = self.paho("ctl cli/five", level=5, keepalive=42)
        self.paho("ctl cli/three")
        self.paho("other-client")
        listed = self.ctl_json("clients", "ctl cli/")["clients"]
        by_id = {c["client_id"]: c for c in listed}
        self.assertEqual(set(by_id), {"ctl cli/five", "ctl cli/three"})
        self.assertEqual(by_id["ctl cli/five"]["protocol_version"], "5.0")
        self.assertEqual(by_id["ctl cli/five"]["keep_alive"], 42)
        everyone = {c["client_id"] for c in self.ctl_json("clients")["clients"]}
        self.assertTrue({"ctl cli/five", "ctl cli/three", "other-client"} <= everyone)

        self.assertEqual(self.ctl_json("disconnect", "ctl cli/five"),
                         {"disconnected": "ctl cli/five"})
        self.assertEqual(five.wait_disconnected(), 0x98)  # administrative action
        self.broker.wait_for_log(r"client ctl cli/five: disconnected by an administrator")
        self.assertEqual([c["client_id"] for c in self.ctl_json("clients", "ctl cli/")["clients"]],
                         ["ctl cli/three"])
        gone = self.ctl("disconnect", "ctl cli/five", expect=1)
        self.assertEqual(gone.stdout, "")
        self.assertEqual(gone.stderr, "tern ctl: HTTP 404: no such client\n")

    def test_subscriptions(self):
        c = self.paho("ctl-subs", level=5)
        c.subscribe("ctl/s/+/with space/#", qos=1)
        subs = [s for s in self.ctl_json("subscriptions")["subscriptions"]
                if s["client_id"] == "ctl-subs"]
        self.assertEqual(subs, [{"client_id": "ctl-subs", "filter": "ctl/s/+/with space/#",
                                 "qos": 1, "no_local": False, "retain_as_published": False}])

    def test_retained_list_get_delete(self):
        pub = self.paho("ctl-ret")
        odd = "ctl/r/sp ace/100%"
        pub.publish(odd, b"odd", qos=1, retain=True)
        pub.publish("ctl/r//empty level", b"empty", qos=1, retain=True)
        pub.publish("ctl/r/get", b"named get", qos=1, retain=True)
        listed = self.ctl_json("retained", "ctl/r/#")["retained"]
        self.assertEqual(sorted(r["topic"] for r in listed),
                         ["ctl/r//empty level", "ctl/r/get", odd])
        self.assertEqual([r["topic"] for r in self.ctl_json("retained", "list", "ctl/r/+/100%")
                          ["retained"]], [odd])
        self.assertIn(odd, [r["topic"] for r in self.ctl_json("retained")["retained"]])
        self.assertEqual(self.ctl_json("retained", "get", odd),
                         {"topic": odd, "qos": 1, "payload": "odd"})
        self.assertEqual(self.ctl_json("retained", "get", "ctl/r//empty level")["payload"], "empty")
        self.assertEqual(self.ctl_json("retained", "get", "ctl/r/get")["payload"], "named get")

        self.assertEqual(self.ctl_json("retained", "delete", odd), {"deleted": odd})
        self.assertIn("HTTP 404: no retained message", self.ctl("retained", "get", odd,
                                                                expect=1).stderr)
        self.ctl("retained", "delete", odd, expect=1)
        late = self.paho("ctl-ret-late")
        late.subscribe("ctl/r/#")
        pub.publish("ctl/r/zz-barrier", b"b")
        self.assertEqual(sorted(m.topic for m in late.until("ctl/r/zz-barrier")),
                         ["ctl/r//empty level", "ctl/r/get"])
        bad = self.ctl("retained", "a/#/b", expect=1)
        self.assertEqual(bad.stderr, "tern ctl: HTTP 400: not a valid topic filter\n")

    def test_sessions_list_and_delete(self):
        offline = self.paho("ctl-sess", clean=False)
        offline.subscribe("ctl/sess/#", qos=1)
        offline.disconnect()
        pub = self.paho("ctl-sess-pub")
        pub.publish("ctl/sess/1", b"queued", qos=1)
        sessions = {s["client_id"]: s for s in self.ctl_json("sessions", "ctl-sess")["sessions"]}
        self.assertFalse(sessions["ctl-sess"]["connected"])
        self.assertEqual(sessions["ctl-sess"]["queue_depth"], 1)
        self.assertTrue(sessions["ctl-sess-pub"]["connected"])
        self.assertIn("ctl-sess", {s["client_id"] for s in self.ctl_json("sessions")["sessions"]})

        self.assertEqual(self.ctl_json("sessions", "delete", "ctl-sess"), {"removed": "ctl-sess"})
        self.assertEqual([s["client_id"] for s in
                          self.ctl_json("sessions", "list", "ctl-sess")["sessions"]],
                         ["ctl-sess-pub"])
        self.assertEqual(self.ctl("sessions", "delete", "ctl-sess", expect=1).stderr,
                         "tern ctl: HTTP 404: no such session\n")
        back = self.paho("ctl-sess", clean=False)
        self.assertFalse(back.connack[0])  # no session, so no queued message either

    def test_publish_reaches_subscriber(self):
        sub = self.paho("ctl-pubsub", level=5)
        sub.subscribe("ctl/p/#", qos=2)
        topic = "ctl/p/a b/100%"
        self.assertEqual(self.ctl_json("publish", topic, "héllo \"world\"", "--qos", "1"),
                         {"published": topic})
        msg = sub.get()
        self.assertEqual((msg.topic, msg.payload, msg.qos, msg.retain),
                         (topic, "héllo \"world\"".encode(), 1, False))
        self.ctl("publish", "ctl/p/kept", "", "-r")
        msg = sub.get()
        self.assertEqual((msg.topic, msg.payload, msg.qos), ("ctl/p/kept", b"", 0))
        self.ctl("publish", "ctl/p/kept", "value", "--retain", "-q", "2")
        self.assertEqual(self.ctl_json("retained", "get", "ctl/p/kept"),
                         {"topic": "ctl/p/kept", "qos": 2, "payload": "value"})
        refused = self.ctl("publish", "$SYS/forged", "x", expect=1)
        self.assertEqual(refused.stderr, "tern ctl: HTTP 400: not a topic one may publish to\n")
        self.ctl("publish", "t", "p", "--qos", "3", expect=2)

    def test_reload(self):
        self.assertEqual(self.ctl_json("reload"), {"reloaded": True})
        self.broker.wait_for_log(r"admin HTTP: reload requested by 127\.0\.0\.1")
        self.broker.wait_for_log(r"reloading the password and ACL files")


class CredentialsTest(CtlCase):

    def test_token_sources_and_their_order(self):
        port = str(self.http_port)
        # --token, then TERN_ADMIN_TOKEN, then admin.token of the configuration.
        self.ctl_raw("--port", port, "--token", TOKEN, "health")
        self.ctl_raw("--port", port, "health", env={"TERN_ADMIN_TOKEN": TOKEN})
        self.ctl("health")
        self.ctl("--token", TOKEN, "health", env={"TERN_ADMIN_TOKEN": "wrong-wrong-wrong"})
        wrong = self.ctl("health", env={"TERN_ADMIN_TOKEN": "wrong-wrong-wrong"}, expect=1)
        self.assertEqual(wrong.stderr, "tern ctl: HTTP 401: credentials required\n")
        self.assertEqual(wrong.stdout, "")
        # Options may follow the command too.
        self.ctl_raw("clients", "--host", "127.0.0.1", "--port", port, "--token", TOKEN)

    def test_wrong_token_is_refused(self):
        for command in (["health"], ["clients"], ["disconnect", "x"], ["publish", "a", "b"],
                        ["reload"], ["retained", "delete", "a"], ["sessions", "delete", "x"]):
            result = self.ctl("--token", "not-the-token-at-all", *command, expect=1)
            self.assertEqual(result.stderr, "tern ctl: HTTP 401: credentials required\n", command)
        self.broker.wait_for_log(r"admin HTTP: GET /api/v1/health from .*refused")

    def test_no_credentials(self):
        result = self.ctl_raw("--port", str(self.http_port), "health", expect=1)
        self.assertTrue(result.stderr.startswith("tern ctl: HTTP 401: credentials required\n"),
                        result.stderr)
        self.assertIn("no credentials were sent", result.stderr)

    def test_basic_user_from_environment_or_stdin(self):
        port = str(self.http_port)
        self.assertEqual(json.loads(self.ctl_raw(
            "--port", port, "--user", ADMIN_USER, "health",
            env={"TERN_ADMIN_PASSWORD": ADMIN_PASSWORD}).stdout), {"status": "ok"})
        # No terminal: the password is one line of standard input, and no prompt is shown.
        piped = self.ctl_raw("--port", port, "--user", ADMIN_USER, "ready",
                             stdin=ADMIN_PASSWORD + "\n")
        self.assertTrue(json.loads(piped.stdout)["ready"])
        self.assertEqual(piped.stderr, "")
        # --user wins over the configuration's token.
        wrong = self.ctl("--user", ADMIN_USER, "health",
                         env={"TERN_ADMIN_PASSWORD": "wrong"}, expect=1)
        self.assertEqual(wrong.stderr, "tern ctl: HTTP 401: credentials required\n")
        empty = self.ctl_raw("--port", port, "--user", ADMIN_USER, "health", stdin="", expect=1)
        self.assertIn("no password for ops", empty.stderr)
        self.ctl_raw("--port", port, "--user", ADMIN_USER, "--token", TOKEN, "health", expect=2)


class ConnectionAndUsageTest(CtlCase):

    def test_no_port_known(self):
        result = self.ctl_raw("health", env={"TERN_ADMIN_TOKEN": TOKEN}, expect=2)
        self.assertIn("no admin API port known", result.stderr)
        self.assertIn("-c", result.stderr)
        self.assertIn("--port", result.stderr)
        without_admin = os.path.join(self.tmp, "no-admin.toml")
        with open(without_admin, "w", encoding="utf-8") as f:
            f.write("shards = 1\n")
        self.ctl_raw("-c", without_admin, "health", expect=2)

    def test_bad_configuration(self):
        bad = os.path.join(self.tmp, "bad.toml")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("[admin]\nport = 70000\n")
        result = self.ctl_raw("-c", bad, "health", expect=2)
        self.assertIn("admin.port", result.stderr)
        self.ctl_raw("-c", os.path.join(self.tmp, "missing.toml"), "health", expect=2)

    def test_usage_errors(self):
        for args in ([], ["bogus"], ["disconnect"], ["retained", "get"], ["sessions", "delete"],
                     ["publish", "only-topic"], ["health", "extra"], ["--port", "0", "health"],
                     ["--port", "x", "health"], ["--timeout", "-1", "health"]):
            result = self.ctl(*args, expect=2)
            self.assertIn("error", result.stderr, args)
        self.assertIn("retained", self.ctl("--help").stdout)
        self.assertIn("delete", self.ctl("sessions", "--help").stdout)

    def test_broker_not_running(self):
        port = free_port()
        started = time.monotonic()
        result = self.ctl_raw("--port", str(port), "--token", TOKEN, "health", expect=1)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(result.stdout, "")
        self.assertIn(f"cannot connect to 127.0.0.1:{port}", result.stderr)
        self.ctl_raw("--host", "::1", "--port", str(port), "--token", TOKEN, "health", expect=1)

    def test_silent_server_times_out(self):
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)  # accepts into the backlog, never answers
            port = silent.getsockname()[1]
            started = time.monotonic()
            result = self.ctl_raw("--port", str(port), "--token", TOKEN, "--timeout", "0.5",
                                  "health", expect=1)
            elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertLess(elapsed, 5)
        self.assertEqual(result.stderr, f"tern ctl: no answer from 127.0.0.1:{port} within 0.5 s\n")


if __name__ == "__main__":
    unittest.main()
