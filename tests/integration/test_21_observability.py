"""Observability on a 2-shard broker with real clients: $SYS topics (Mosquitto's names, retained,
refreshed every second here), the Prometheus /metrics page read with urllib and parsed as text
format 0.0.4, and every endpoint of the JSON admin API with bearer and Basic credentials.

The admin user is made with `tern passwd` (few iterations: the API checks it once, then
remembers it). paho clients check the effects: a client disconnected through the API really
goes, a message published through the API really arrives, a deleted retained message is really
gone for a new subscriber.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from clients import PahoClient, PubSubTestCase, mosquitto_pub
from harness import free_port, tern_binary, wait_for_mqtt

TOKEN = "obs-test-token-0123456789"
ADMIN_USER = "ops"
ADMIN_PASSWORD = "ops-secret"


def http(port, path, method="GET", body=None, auth=None, timeout=5):
    """Returns (status, headers, body bytes); `auth` is a full Authorization header value."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=body)
    if auth is not None:
        req.add_header("Authorization", auth)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def bearer(token=TOKEN):
    return f"Bearer {token}"


def basic(user=ADMIN_USER, password=ADMIN_PASSWORD):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)?\})? '
                    r'(-?[0-9.e+-]+|[+-]Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Parses Prometheus text format 0.0.4 strictly. Returns {family: {"type", "help",
    "samples": [(name, {labels}, value)]}}; fails on any line that is not HELP, TYPE or a
    sample of a family announced before it."""
    families = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in families, f"family {name} announced twice"
            families[name] = {"help": help_text, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == current, f"TYPE for {name} not right after its HELP"
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            families[name]["type"] = kind
        elif line.strip() == "":
            continue
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name = m.group(1)
            family = current
            assert family is not None and (
                name == family or (families[family]["type"] == "histogram" and
                                   name in (family + "_bucket", family + "_sum",
                                            family + "_count"))), \
                f"sample {name} outside its family ({family})"
            labels = dict(LABEL.findall(m.group(3) or ""))
            families[family]["samples"].append((name, labels, float(m.group(4))))
    return families


def value_of(families, name, family=None, **labels):
    for sample_name, sample_labels, value in families[family or name]["samples"]:
        if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
            return value
    raise AssertionError(f"no sample {name} {labels}")


class ObservabilityCase(PubSubTestCase):
    """Broker with sys_interval = 1 s, a password file with the admin user, and [admin]."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tern-obs-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        pw_file = os.path.join(cls.tmp, "passwords")
        subprocess.run([tern_binary(), "passwd", "-c", "-I", "1000", "-b", pw_file, ADMIN_USER,
                        ADMIN_PASSWORD], check=True, capture_output=True, timeout=30)
        cls.http_port = free_port()
        cls.CONFIG = (f'shards = 2\nsys_interval = 1\n[auth]\npassword_file = "{pw_file}"\n'
                      f'[admin]\nport = {cls.http_port}\ntoken = "{TOKEN}"\n')
        super().setUpClass()

    def get_json(self, path, auth=bearer(), method="GET", body=None, expect=200):
        status, _, data = http(self.http_port, path, method=method, body=body, auth=auth)
        self.assertEqual(status, expect, data)
        return json.loads(data)

    def metrics(self):
        status, headers, data = http(self.http_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        return parse_metrics(data.decode())

    def sys_values(self, client, until, timeout=6.0):
        """Collects $SYS messages until `until(values)` holds; returns {topic: value}."""
        values = {}
        deadline = time.monotonic() + timeout
        while not until(values):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail(f"$SYS values never matched; last: {values}")
            try:
                msg = client.get(timeout=remaining)
            except AssertionError:
                continue
            values[msg.topic] = msg.payload.decode()
        return values


class SysTopicsTest(ObservabilityCase):

    def test_values_after_known_traffic(self):
        publisher = self.paho("obs-sys-pub")
        self.paho("obs-sys-idle", level=5)
        for i in range(7):
            publisher.publish(f"obs/sys/{i}", b"x", qos=1)
        watcher = self.paho("obs-sys-watch")
        watcher.subscribe("$SYS/broker/#")

        def settled(v):
            return (v.get("$SYS/broker/clients/connected") == "3" and
                    int(v.get("$SYS/broker/publish/messages/received", "0")) >= 7)
        values = self.sys_values(watcher, settled)
        self.assertRegex(values["$SYS/broker/version"], r"^tern version \S+")
        self.assertRegex(values["$SYS/broker/uptime"], r"^\d+ seconds$")
        self.assertGreaterEqual(int(values["$SYS/broker/clients/maximum"]), 3)
        self.assertGreaterEqual(int(values["$SYS/broker/clients/total"]), 3)
        self.assertGreaterEqual(int(values["$SYS/broker/messages/received"]), 7)
        self.assertGreater(int(values["$SYS/broker/bytes/received"]), 0)
        self.assertGreater(int(values["$SYS/broker/heap/current"]), 1_000_000)
        self.assertGreaterEqual(int(values["$SYS/broker/subscriptions/count"]), 1)
        for name in ("messages/received", "bytes/sent", "connections", "publish/dropped"):
            for window in ("1min", "5min", "15min"):
                self.assertRegex(values[f"$SYS/broker/load/{name}/{window}"], r"^\d+\.\d\d$")
        for shard in (0, 1):
            self.assertRegex(values[f"$SYS/broker/shards/{shard}/loop lag"], r"^\d+\.\d+ ms$")
        for topic in ("retained messages/count", "store/messages/count", "store/messages/bytes",
                      "heap/maximum", "publish/messages/sent", "publish/messages/dropped",
                      "clients/disconnected", "messages/sent", "bytes/sent"):
            self.assertIn(f"$SYS/broker/{topic}", values)

    def test_uptime_repeats_and_values_are_retained(self):
        first = self.paho("obs-sys-up1")
        first.subscribe("$SYS/broker/uptime")
        uptimes = [first.get().payload, first.get(timeout=3).payload]
        self.assertNotEqual(uptimes[0], uptimes[1])  # published every interval
        # A late subscriber gets the current value at once: it is retained.
        late = self.paho("obs-sys-late")
        late.subscribe("$SYS/broker/version")
        msg = late.get(timeout=1.0)
        self.assertTrue(msg.retain)
        self.assertTrue(msg.payload.startswith(b"tern version"))

    def test_multi_level_wildcard_does_not_match_sys(self):
        # [MQTT-4.7.2-1]: '#' and '+' at the start of a filter do not match $ topics.
        everything = self.paho("obs-sys-hash", level=5)
        everything.subscribe("#")
        plus = self.paho("obs-sys-plus")
        plus.subscribe("+/broker/#")
        sys_sub = self.paho("obs-sys-dollar")
        sys_sub.subscribe("$SYS/#")
        self.assertTrue(sys_sub.get(timeout=2.0).topic.startswith("$SYS/broker/"))
        time.sleep(1.5)  # at least one more refresh
        barrier = self.paho("obs-sys-barrier")
        barrier.publish("obs/barrier", b"b")
        self.assertEqual([m.topic for m in everything.until("obs/barrier")
                          if m.topic.startswith("$")], [])
        plus.publish("x/broker/barrier", b"b")
        self.assertEqual([m.topic for m in plus.until("x/broker/barrier")
                          if m.topic.startswith("$")], [])

    def test_clients_cannot_publish_to_sys(self):
        mosquitto_pub(self.broker.port, "$SYS/broker/version", "forged", retain=True)
        forger = self.paho("obs-sys-forge5", level=5)
        info = forger.publish("$SYS/broker/forged", b"forged", qos=1, retain=True)
        self.assertTrue(info.is_published())
        self.broker.wait_for_log(r"publish to '\$SYS/broker/forged' refused")
        reader = self.paho("obs-sys-reader")
        reader.subscribe("$SYS/broker/version")
        self.assertTrue(reader.get().payload.startswith(b"tern version"))
        status, _, _ = http(self.http_port, "/api/v1/retained/%24SYS/broker/forged",
                            auth=bearer())
        self.assertEqual(status, 404)


class MetricsTest(ObservabilityCase):

    def test_format_and_counters_grow_with_traffic(self):
        before = self.metrics()
        for name, family in before.items():
            self.assertTrue(family["help"], name)
            self.assertIsNotNone(family["type"], name)
            if family["type"] == "counter":
                self.assertTrue(name.endswith("_total"), name)
        for name in ("tern_clients_connected", "tern_connections_total",
                     "tern_messages_received_total", "tern_messages_sent_total",
                     "tern_bytes_received_total", "tern_messages_dropped_total",
                     "tern_queued_messages", "tern_queue_depth_max", "tern_auth_failures_total",
                     "tern_limit_events_total", "tern_retained_messages", "tern_subscriptions",
                     "tern_uptime_seconds", "tern_listener_connections",
                     "tern_store_commit_duration_seconds", "tern_shard_loop_lag_seconds",
                     "tern_store_changes_cancelled_total"):
            self.assertIn(name, before)
        self.assertEqual(before["tern_store_commit_duration_seconds"]["type"], "histogram")

        sub = self.paho("obs-m-sub")
        sub.subscribe("obs/m/#", qos=1)
        pub = self.paho("obs-m-pub", level=5)
        for i in range(5):
            pub.publish(f"obs/m/{i}", b"payload", qos=1)
        sub.get_many(5)
        after = self.metrics()
        self.assertGreaterEqual(value_of(after, "tern_messages_received_total", qos="1") -
                                value_of(before, "tern_messages_received_total", qos="1"), 5)
        self.assertGreaterEqual(value_of(after, "tern_messages_sent_total", qos="1") -
                                value_of(before, "tern_messages_sent_total", qos="1"), 5)
        self.assertGreater(value_of(after, "tern_bytes_received_total"),
                           value_of(before, "tern_bytes_received_total"))
        self.assertGreaterEqual(value_of(after, "tern_connections_total") -
                                value_of(before, "tern_connections_total"), 2)
        self.assertGreaterEqual(value_of(after, "tern_clients_connected"), 2)
        self.assertGreaterEqual(value_of(after, "tern_subscriptions"), 1)
        self.assertGreater(value_of(after, "tern_listener_connections_total",
                                    listener=f"127.0.0.1:{self.broker.port}"), 0)
        # Buckets are cumulative and end at +Inf = count.
        buckets = [v for n, _, v in after["tern_store_commit_duration_seconds"]["samples"]
                   if n.endswith("_bucket")]
        self.assertEqual(buckets, sorted(buckets))
        self.assertEqual(buckets[-1], value_of(after, "tern_store_commit_duration_seconds_count",
                                               family="tern_store_commit_duration_seconds"))

    def test_failed_logins_are_counted(self):
        before = value_of(self.metrics(), "tern_auth_failures_total")
        refused = PahoClient(self.broker.port, "obs-m-badlogin", username=ADMIN_USER,
                             password="wrong", expect_code=4, source_address="127.0.3.1")
        refused.close()
        after = value_of(self.metrics(), "tern_auth_failures_total")
        self.assertEqual(after - before, 1)


class AdminApiTest(ObservabilityCase):

    ENDPOINTS = [("GET", "/api/v1/health"), ("GET", "/api/v1/ready"),
                 ("GET", "/api/v1/clients"), ("DELETE", "/api/v1/clients/x"),
                 ("GET", "/api/v1/subscriptions"), ("GET", "/api/v1/retained?topic=%23"),
                 ("GET", "/api/v1/retained/a"), ("DELETE", "/api/v1/retained/a"),
                 ("GET", "/api/v1/sessions"), ("DELETE", "/api/v1/sessions/x"),
                 ("POST", "/api/v1/publish"), ("POST", "/api/v1/reload")]

    def test_every_endpoint_refuses_missing_or_wrong_credentials(self):
        for method, path in self.ENDPOINTS:
            for auth in (None, bearer("wrong-token-wrong-token"), "Basic !!!", "Digest abc"):
                status, headers, _ = http(self.http_port, path, method=method,
                                          body=b"{}" if method == "POST" else None, auth=auth)
                self.assertEqual(status, 401, f"{method} {path} with {auth}")
                self.assertIn("Bearer", headers["WWW-Authenticate"])
        self.broker.wait_for_log(r"admin HTTP: GET /api/v1/health from .*refused")

    def test_password_guesses_are_slowed_down(self):
        # Wrong Basic passwords and unknown users go through the failed-login throttle of the
        # address: 250 ms, then doubling. A right password is answered at once meanwhile.
        took = []
        for auth in (basic(password="wrong"), basic(user="nobody"), basic(password="wrong2")):
            started = time.monotonic()
            status, _, _ = http(self.http_port, "/api/v1/clients", auth=auth)
            took.append(time.monotonic() - started)
            self.assertEqual(status, 401)
        self.assertGreaterEqual(took[0], 0.2)
        self.assertGreaterEqual(took[2], 0.9)  # the third guess waits 1 s
        self.assertEqual(self.get_json("/api/v1/health", auth=basic()), {"status": "ok"})

    def test_health_and_ready_with_either_credential(self):
        for auth in (bearer(), basic()):
            self.assertEqual(self.get_json("/api/v1/health", auth=auth), {"status": "ok"})
            self.assertTrue(self.get_json("/api/v1/ready", auth=auth)["ready"])

    def test_clients_listing_search_and_disconnect(self):
        c5 = self.paho("obs-api-five", level=5, keepalive=42)
        c5.subscribe("obs/api/c/#")
        self.paho("obs-api-three")
        clients = self.get_json("/api/v1/clients?search=obs-api-")["clients"]
        by_id = {c["client_id"]: c for c in clients}
        self.assertEqual(set(by_id), {"obs-api-five", "obs-api-three"})
        five = by_id["obs-api-five"]
        self.assertEqual(five["protocol_version"], "5.0")
        self.assertEqual(five["keep_alive"], 42)
        self.assertEqual(five["subscriptions"], 1)
        self.assertEqual(five["queue_depth"], 0)
        self.assertEqual(five["address"], "127.0.0.1")
        self.assertEqual(by_id["obs-api-three"]["protocol_version"], "3.1.1")
        self.assertEqual(self.get_json("/api/v1/clients?search=obs-api-fiv")["clients"][0]
                         ["client_id"], "obs-api-five")

        self.assertEqual(self.get_json("/api/v1/clients/obs-api-five", method="DELETE"),
                         {"disconnected": "obs-api-five"})
        self.assertEqual(c5.wait_disconnected(), 0x98)  # administrative action
        self.broker.wait_for_log(r"client obs-api-five: disconnected by an administrator")
        remaining = self.get_json("/api/v1/clients?search=obs-api-")["clients"]
        self.assertEqual([c["client_id"] for c in remaining], ["obs-api-three"])
        self.get_json("/api/v1/clients/obs-api-five", method="DELETE", expect=404)

    def test_subscriptions_listing(self):
        c = self.paho("obs-api-subs", level=5)
        c.subscribe("obs/api/s/+/x", qos=1)
        subs = [s for s in self.get_json("/api/v1/subscriptions")["subscriptions"]
                if s["client_id"] == "obs-api-subs"]
        self.assertEqual(subs, [{"client_id": "obs-api-subs", "filter": "obs/api/s/+/x",
                                 "qos": 1, "no_local": False, "retain_as_published": False}])

    def test_retained_get_list_and_delete(self):
        pub = self.paho("obs-api-ret")
        pub.publish("obs/api/r/one", b"first", qos=1, retain=True)
        pub.publish("obs/api/r/two", b"\xff\x00", qos=1, retain=True)
        listed = self.get_json("/api/v1/retained?topic=obs/api/r/%23")["retained"]
        self.assertEqual(sorted(r["topic"] for r in listed), ["obs/api/r/one", "obs/api/r/two"])
        self.assertEqual(self.get_json("/api/v1/retained/obs/api/r/one"),
                         {"topic": "obs/api/r/one", "qos": 1, "payload": "first"})
        two = self.get_json("/api/v1/retained/obs%2Fapi%2Fr%2Ftwo")
        self.assertEqual(base64.b64decode(two["payload_base64"]), b"\xff\x00")

        self.assertEqual(self.get_json("/api/v1/retained/obs/api/r/one", method="DELETE"),
                         {"deleted": "obs/api/r/one"})
        self.get_json("/api/v1/retained/obs/api/r/one", expect=404)
        self.get_json("/api/v1/retained/obs/api/r/one", method="DELETE", expect=404)
        # A new subscriber gets only the retained message that is left.
        late = self.paho("obs-api-ret-late")
        late.subscribe("obs/api/r/#")
        pub.publish("obs/api/r/zz-barrier", b"b")
        self.assertEqual([m.topic for m in late.until("obs/api/r/zz-barrier")],
                         ["obs/api/r/two"])
        self.get_json("/api/v1/retained?topic=a/%23/b", expect=400)

    def test_sessions_listing_and_removal(self):
        offline = self.paho("obs-api-sess", clean=False)
        offline.subscribe("obs/api/sess/#", qos=1)
        offline.disconnect()
        pub = self.paho("obs-api-sess-pub")
        pub.publish("obs/api/sess/1", b"queued", qos=1)
        sessions = {s["client_id"]: s for s in
                    self.get_json("/api/v1/sessions?search=obs-api-sess")["sessions"]}
        self.assertFalse(sessions["obs-api-sess"]["connected"])
        self.assertEqual(sessions["obs-api-sess"]["queue_depth"], 1)
        self.assertTrue(sessions["obs-api-sess-pub"]["connected"])

        self.assertEqual(self.get_json("/api/v1/sessions/obs-api-sess", method="DELETE"),
                         {"removed": "obs-api-sess"})
        names = [s["client_id"] for s in
                 self.get_json("/api/v1/sessions?search=obs-api-sess")["sessions"]]
        self.assertEqual(names, ["obs-api-sess-pub"])
        self.get_json("/api/v1/sessions/obs-api-sess", method="DELETE", expect=404)
        # Reconnecting finds no session (and no queued message).
        back = self.paho("obs-api-sess", clean=False)
        self.assertFalse(back.connack[0])

    def test_remove_session_of_connected_client(self):
        c = self.paho("obs-api-sess-live", level=5, session_expiry=3600)
        self.get_json("/api/v1/sessions/obs-api-sess-live", method="DELETE")
        self.assertEqual(c.wait_disconnected(), 0x98)
        time.sleep(0.2)
        names = [s["client_id"] for s in
                 self.get_json("/api/v1/sessions?search=obs-api-sess-live")["sessions"]]
        self.assertEqual(names, [])

    def test_publish_reaches_subscriber(self):
        sub = self.paho("obs-api-pubsub", level=5)
        sub.subscribe("obs/api/p/#", qos=2)
        body = json.dumps({"topic": "obs/api/p/1", "payload": "from the API", "qos": 1}).encode()
        self.assertEqual(self.get_json("/api/v1/publish", method="POST", body=body),
                         {"published": "obs/api/p/1"})
        msg = sub.get()
        self.assertEqual((msg.topic, msg.payload, msg.qos), ("obs/api/p/1", b"from the API", 1))
        body = json.dumps({"topic": "obs/api/p/kept", "payload": "r", "retain": True}).encode()
        self.get_json("/api/v1/publish", method="POST", body=body)
        self.assertEqual(self.get_json("/api/v1/retained/obs/api/p/kept")["payload"], "r")
        for bad in (b"not json", b"[]", b'{"payload": "x"}', b'{"topic": "a/#"}',
                    b'{"topic": "a", "qos": 3}', b'{"topic": "$SYS/x"}',
                    b'{"topic": "a", "retain": "yes"}'):
            self.get_json("/api/v1/publish", method="POST", body=bad, expect=400)

    def test_reload(self):
        self.assertEqual(self.get_json("/api/v1/reload", method="POST"), {"reloaded": True})
        self.broker.wait_for_log(r"reloading the password and ACL files")

    def test_unknown_paths_and_oversized_requests(self):
        self.get_json("/api/v1/nothing", expect=404)
        status, _, _ = http(self.http_port, "/elsewhere")
        self.assertEqual(status, 404)
        status, _, _ = http(self.http_port, "/api/v1/publish", method="POST",
                            body=b"x" * (128 * 1024), auth=bearer())
        self.assertEqual(status, 413)
        self.broker.wait_for_log(r"admin HTTP: request from .* too large")


class AdminOffByDefaultTest(PubSubTestCase):
    """Without [admin] no HTTP port opens; sys_interval = 0 publishes no $SYS topics."""

    CONFIG = "shards = 2\nsys_interval = 0\n"

    def test_no_sys_topics(self):
        c = self.paho("obs-off")
        c.subscribe("$SYS/#")
        c.publish("obs/off/barrier", b"b")
        time.sleep(0.5)
        with self.assertRaises(AssertionError):
            c.get(timeout=1.0)
        self.assertNotRegex(self.broker.log(), r"admin HTTP")


class SysValuesAreNotStoredTest(unittest.TestCase):
    """$SYS values are regenerated, never written to the store: after a restart with
    sys_interval = 0 none comes back, while a client's retained message does."""

    def run_tern(self, tmp, port, sys_interval):
        config = os.path.join(tmp, f"tern-{sys_interval}.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"sys_interval = {sys_interval}\n")
        log = open(os.path.join(tmp, f"tern-{sys_interval}.log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen([tern_binary(), "-p", str(port), "--data-dir",
                                 os.path.join(tmp, "data"), "-c", config],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for_mqtt(port, proc=proc))
        return proc

    def stop(self, proc):
        proc.terminate()
        self.assertEqual(proc.wait(10), 0)

    def test_restart_brings_back_client_retained_messages_only(self):
        tmp = tempfile.mkdtemp(prefix="tern-obs-store-")
        self.addCleanup(shutil.rmtree, tmp, True)
        port = free_port()
        first = self.run_tern(tmp, port, 1)
        client = PahoClient(port, "obs-store-pub")
        client.subscribe("$SYS/broker/uptime")
        client.get()  # $SYS values exist in this run
        client.publish("obs/store/kept", b"kept", qos=1, retain=True)
        client.close()
        self.stop(first)

        second = self.run_tern(tmp, port, 0)
        reader = PahoClient(port, "obs-store-read")
        reader.subscribe("$SYS/#")
        reader.subscribe("obs/store/#")
        got = reader.get()
        self.assertEqual((got.topic, got.payload), ("obs/store/kept", b"kept"))
        reader.publish("obs/store/zz-barrier", b"b")
        self.assertEqual([m.topic for m in reader.until("obs/store/zz-barrier")], [])
        reader.close()
        self.stop(second)


if __name__ == "__main__":
    unittest.main()
