"""Crash durability of the RocksDB store (`--data-dir`, `[storage] durability = "fsync"`).

A QoS 1/2 message that Tern acknowledged (PUBACK / PUBREC) survives `kill -9`: it reaches every
matching persistent-session subscriber, QoS 1 at least once and QoS 2 exactly once, in each
publisher's order, and a retained topic keeps its last acknowledged value.

  * RandomKillTest  -- paho publishers and subscribers (3.1.1 clean session 0 and 5.0 with a
                       session expiry) under load while the broker is SIGKILLed at random moments
                       and restarted on the same data directory and port, several times.
  * PreciseKillTest -- strace fault injection kills the broker at exact points: at a commit's
                       fdatasync (before it completes), at the sendmsg of the acknowledgement
                       (after the commit), at the write of the log record, and at the syncs
                       and the log deletion of RocksDB's recovery at start-up; and one thread
                       held up (strace delay) while another shard commits, for a retained
                       message replaced on one shard and released on another. Skipped when
                       strace is not installed.

Environment: TERN_CRASH_SEED replays the random choices of a failed run (kill moments, QoS
levels; the seed is printed on failure), TERN_CRASH_CYCLES sets the number of random kills (a
longer soak), TERN_CRASH_VERBOSE=1 prints what happened, TERN_KEEP_LOGS=1 keeps the data
directory, the broker logs and the strace logs.
"""

import collections
import glob
import os
import platform
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from clients import RawClient, ack_packet, parse_ack, parse_publish, shard_id, sub_options
from harness import (PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SESSION_EXPIRY_INTERVAL,
                     WILL_DELAY_INTERVAL, Broker, BrokerError, Closed, disconnect, publish,
                     read_packet, wait_for_mqtt)

SHARDS = 2
CONFIG = f"""shards = {SHARDS}
[storage]
durability = "fsync"
[sessions]
# The offline subscribers hold every message of the test: no queue limit may drop one.
max_queued_messages = 200000
"""

# Generous bounds for things that take milliseconds; the test's length comes from the load
# phases, not from these.
WAIT = 10.0
START_WAIT = 20.0
SESSION_EXPIRY = 600

STRACE = shutil.which("strace")


def quiet_paho():
    """paho 1.6 leaves its wake-up socket pair to the garbage collector at every loop_start()."""
    warnings.filterwarnings("ignore", category=ResourceWarning, module=r"paho\..*")
    warnings.filterwarnings("ignore", category=ResourceWarning, message=r"unclosed <socket")


def report(line):
    """Progress and findings, printed with TERN_CRASH_VERBOSE=1."""
    if os.environ.get("TERN_CRASH_VERBOSE"):
        sys.stderr.write(f"\n  {line}")


# --------------------------------------------------------------------------------------------
# A broker that is killed and restarted on one data directory and port
# --------------------------------------------------------------------------------------------


class CrashBroker(Broker):
    """harness.Broker with one temporary directory (store, configuration, one log per run) for
    all its lives. launch() starts tern (optionally under a wrapper such as strace), kill() is
    kill -9, stop_gracefully() is SIGTERM, close() kills what still runs and removes the
    directory."""

    def __init__(self, config=CONFIG):
        super().__init__(config=config)
        self.tmpdir = tempfile.mkdtemp(prefix="tern-crash-")
        self.config_path = os.path.join(self.tmpdir, "tern.toml")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config)
        self.data_dir = os.path.join(self.tmpdir, "data")
        self.runs = 0
        self.log_paths = []
        self._log_file = None

    def launch(self, wrapper=(), serve=True):
        """Starts tern; with serve, waits until it answers MQTT."""
        assert self.proc is None, "tern is already running"
        self.runs += 1
        self.log_path = os.path.join(self.tmpdir, f"tern.{self.runs}.log")
        self.log_paths.append(self.log_path)
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(list(wrapper) + self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=self._log_file)
        if serve and not wait_for_mqtt(self.port, timeout=START_WAIT, proc=self.proc):
            code = self.proc.poll()
            self.kill()
            raise BrokerError(f"tern (run {self.runs}) did not answer MQTT on port {self.port} "
                              f"within {START_WAIT} s (exit code {code})\n" + self.dump())
        return self

    def tern_pid(self):
        """The tern process: ours, or the child of the strace we started."""
        if os.path.basename(self.proc.args[0]) != "strace":
            return self.proc.pid
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def kill(self):
        """kill -9 (of tern itself when it runs under strace); returns the exit code."""
        if self.proc is None:
            return self.returncode
        pid = self.tern_pid()
        if pid is not None and self.proc.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.reap()

    def reap(self, timeout=WAIT):
        """Waits for the process to end; returns its exit code (-9 after SIGKILL)."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pid = self.tern_pid()
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.returncode = self.proc.wait()
            raise BrokerError(f"tern (run {self.runs}) still running after {timeout} s\n"
                              + self.dump())
        finally:
            self._end_run()
        return self.returncode

    def _end_run(self):
        self.proc = None
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.close()

    def stop_gracefully(self):
        """SIGTERM; asserts exit code 0."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.reap()
        if code != 0:
            raise BrokerError(f"tern exited with {code} after SIGTERM\n" + self.dump())

    def close(self):
        if self.proc is not None:
            self.kill()
        if os.environ.get("TERN_KEEP_LOGS") is None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        else:
            sys.stderr.write(f"\ntern data directory and logs kept in {self.tmpdir}\n")

    def log(self):
        return self.run_log(len(self.log_paths))

    def run_log(self, run):
        try:
            with open(self.log_paths[run - 1], "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, IndexError):
            return ""

    def dump(self, runs=4):
        parts = []
        for run in range(max(1, self.runs - runs + 1), self.runs + 1):
            parts.append(f"----- tern log, run {run} ({self.log_paths[run - 1]}) -----\n"
                         + self.run_log(run))
        return "\n".join(parts) + "\n----- end of logs -----"


# --------------------------------------------------------------------------------------------
# paho clients that live through the broker's deaths
# --------------------------------------------------------------------------------------------


class Peer:
    """One paho Client object for the whole test, so that paho's in-flight state (QoS 2 awaiting
    PUBREL, unacknowledged PUBLISHes) survives reconnections: 3.1.1 with clean session 0 or 5.0
    with Clean Start 0 and a session expiry. Automatic reconnection is off: the test reconnects
    when it has restarted the broker."""

    def __init__(self, port, client_id, level, receive_maximum=None):
        self.port = port
        self.client_id = client_id
        self.level = level
        self.receive_maximum = receive_maximum
        if level == 5:
            self.client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5,
                                      reconnect_on_failure=False)
        else:
            self.client = mqtt.Client(client_id=client_id, clean_session=False,
                                      protocol=mqtt.MQTTv311, reconnect_on_failure=False)
        self.client.max_inflight_messages_set(0)  # no paho-side queueing: the test paces
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.gone = threading.Event()
        self.connections = 0          # CONNACKs with code 0
        self.session_present = None
        self.connack_code = None
        self.problems = []            # found on the network thread, reported by the test
        self.started = False

    def _on_connect(self, client, userdata, flags, rc, props=None):
        code = rc.value if hasattr(rc, "value") else rc
        self.connack_code = code
        if code == 0:
            self.session_present = bool(flags.get("session present"))
            if self.started and not self.session_present:
                self.problems.append(f"{self.client_id}: CONNACK session present 0 on "
                                     f"reconnection {self.connections + 1}: the session was lost")
            self.connections += 1
            self.connected.set()

    def _on_disconnect(self, client, userdata, rc, props=None):
        self.connected.clear()
        self.gone.set()

    def connect(self, stop=None, timeout=WAIT):
        """Connects (first time) or reconnects; waits for the CONNACK. Returns False when the
        broker went away meanwhile (or `stop` was set), raises when it refused."""
        self.gone.clear()
        self.connected.clear()
        try:
            if not self.started:
                kwargs = {}
                if self.level == 5:
                    props = Properties(PacketTypes.CONNECT)
                    props.SessionExpiryInterval = SESSION_EXPIRY
                    if self.receive_maximum is not None:
                        props.ReceiveMaximum = self.receive_maximum
                    kwargs = dict(clean_start=False, properties=props)
                self.client.connect("127.0.0.1", self.port, keepalive=60, **kwargs)
            else:
                self.client.reconnect()
        except OSError:
            return False
        self.client.loop_start()
        deadline = time.monotonic() + timeout
        while not self.connected.wait(0.01):
            if self.gone.is_set() or (stop is not None and stop.is_set()):
                return False
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.client_id}: no CONNACK within {timeout} s")
        self.started = True
        return True

    def must_connect(self):
        if not self.connect():
            raise AssertionError(f"{self.client_id}: connection failed (CONNACK "
                                 f"{self.connack_code})")
        return self.session_present

    def halt(self):
        """After the broker died or after disconnect(): joins paho's network thread."""
        self.client.loop_stop()

    def disconnect(self):
        self.client.disconnect()
        self.gone.wait(WAIT)
        self.halt()


class Publisher(Peer):
    """Publishes `name:seq` to `topic` with QoS 1 or 2 (random per message), at most WINDOW
    unacknowledged at a time. A message is acknowledged when paho reports it published (PUBACK
    for QoS 1, PUBCOMP for QoS 2). After a reconnection paho sends the unacknowledged ones
    again (DUP) or PUBREL for those whose PUBREC arrived; new messages follow only once all of
    those are acknowledged, so that the publisher's own order is what the broker receives."""

    WINDOW = 6

    def __init__(self, port, client_id, level, topic, qos_choices=(1, 2), retain=False,
                 limit=3000):
        super().__init__(port, client_id, level)
        self.topic = topic
        self.qos_choices = qos_choices
        self.retain = retain
        self.limit = limit
        self.name = client_id
        self.sent = {}          # seq -> qos
        self.by_mid = {}        # paho message id -> seq, not yet acknowledged
        self.early_mids = set() # acknowledged before publish() returned
        self.acked = set()
        self.acked_before_kill = set()   # acknowledged while the broker was up, at each kill
        self.acked_late = set()          # acknowledged only after a restart (sent again)
        self.next_seq = 1
        self.lock = threading.Lock()
        self.client.on_publish = self._on_publish

    def _on_publish(self, client, userdata, mid):
        # paho's network thread, holding paho's lock: never call paho with self.lock held.
        with self.lock:
            seq = self.by_mid.pop(mid, None)
            if seq is None:
                self.early_mids.add(mid)
            else:
                self.acked.add(seq)

    def payload(self, seq):
        return f"{self.name}:{seq}".encode()

    def outstanding(self):
        with self.lock:
            return len(self.by_mid)

    def publish_next(self, rng):
        seq = self.next_seq
        self.next_seq += 1
        qos = rng.choice(self.qos_choices)
        self.sent[seq] = qos
        info = self.client.publish(self.topic, self.payload(seq), qos=qos, retain=self.retain)
        with self.lock:
            if info.mid in self.early_mids:
                self.early_mids.discard(info.mid)
                self.acked.add(seq)
            else:
                self.by_mid[info.mid] = seq

    def pump(self, stop, rng):
        """The load thread: waits for the resent messages, then publishes until `stop`."""
        while not stop.is_set() and self.outstanding():
            stop.wait(0.005)
        while not stop.is_set() and self.connected.is_set() and self.next_seq <= self.limit:
            if self.outstanding() >= self.WINDOW:
                stop.wait(0.002)
                continue
            self.publish_next(rng)
            stop.wait(rng.uniform(0.0, 0.006))

    def on_kill(self):
        """Bookkeeping once the broker is dead and the network thread stopped."""
        with self.lock:
            self.acked_before_kill |= self.acked

    def finish(self):
        with self.lock:
            self.acked_late = self.acked - self.acked_before_kill

    def highest_acked(self):
        with self.lock:
            return max(self.acked, default=0)


class Subscriber(Peer):
    """Subscribes to `topic_filter` at QoS 2 and records every message with the connection it
    arrived in (paho hands a QoS 2 message over at PUBREL, a QoS 1 message at PUBLISH)."""

    def __init__(self, port, client_id, level, kind, receive_maximum=None,
                 topic_filter="dur/p/#"):
        super().__init__(port, client_id, level, receive_maximum)
        self.kind = kind
        self.topic_filter = topic_filter
        self.received = []      # (connection number, topic, payload, qos, dup)
        self.lock = threading.Lock()
        self.client.on_message = self._on_message

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.received.append((self.connections, msg.topic, bytes(msg.payload), msg.qos,
                                  bool(msg.dup)))

    def subscribe(self):
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        rc, _ = self.client.subscribe(self.topic_filter, qos=2)
        if rc != mqtt.MQTT_ERR_SUCCESS or not done.wait(WAIT):
            raise AssertionError(f"{self.client_id}: no SUBACK")

    def sources(self, publishers):
        """The publishers whose topic the filter (`prefix/#`) matches."""
        return [p for p in publishers if p.topic.startswith(self.topic_filter[:-1])]

    def payloads(self):
        with self.lock:
            return [r[2] for r in self.received]

    def flap(self, stop, rng):
        """The load thread of an on-and-off subscriber: disconnects (DISCONNECT) and comes back
        at random; stops when `stop` is set or the broker is gone."""
        while not stop.wait(rng.uniform(0.05, 0.3)):
            if self.connected.is_set():
                self.client.disconnect()
                self.gone.wait(1.0)
                self.halt()
            else:
                self.halt()
                if not self.connect(stop=stop):
                    return


# --------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------


def parse_payload(payload):
    name, _, seq = payload.decode().rpartition(":")
    return name, seq


def check_deliveries(sub, publishers):
    """Problems in what `sub` received: lost acknowledged messages, QoS 2 duplicates, wrong QoS,
    unknown payloads, and order. Order is checked per publisher and QoS level (MQTT orders per
    topic and QoS [MQTT-4.6.0-6]; paho hands QoS 2 over at PUBREL, so QoS 1 and 2 interleave
    differently in the application) among first receipts within one connection."""
    problems = []
    by_name = {p.name: p for p in publishers}
    counts = collections.defaultdict(collections.Counter)
    seen = collections.defaultdict(set)
    last_first = {}  # (connection, publisher, qos) -> last first-received seq
    with sub.lock:
        received = list(sub.received)
    for conn, topic, payload, qos, dup in received:
        name, seq = parse_payload(payload)
        pub = by_name.get(name)
        if pub is None or seq == "end":
            continue
        seq = int(seq)
        if seq not in pub.sent:
            problems.append(f"{sub.client_id}: unknown message {payload!r}")
            continue
        counts[name][seq] += 1
        if qos != pub.sent[seq]:
            problems.append(f"{sub.client_id}: {payload!r} published with QoS {pub.sent[seq]} "
                            f"arrived with QoS {qos}")
        if seq in seen[name]:
            continue
        seen[name].add(seq)
        key = (conn, name, qos)
        if key in last_first and seq < last_first[key]:
            problems.append(f"{sub.client_id}: order: {name}:{seq} (QoS {qos}) first received "
                            f"after {name}:{last_first[key]} in connection {conn}")
        last_first[key] = max(seq, last_first.get(key, 0))
    for pub in publishers:
        got = counts[pub.name]
        lost_early = sorted(s for s in pub.acked_before_kill if got[s] == 0)
        lost_late = sorted(s for s in pub.acked - pub.acked_before_kill if got[s] == 0)
        if lost_early:
            problems.append(f"{sub.client_id}: LOST {len(lost_early)} message(s) of {pub.name} "
                            f"acknowledged before a kill: seq {lost_early[:20]} (QoS "
                            f"{[pub.sent[s] for s in lost_early[:20]]})")
        if lost_late:
            problems.append(f"{sub.client_id}: LOST {len(lost_late)} message(s) of {pub.name} "
                            f"acknowledged after being sent again: seq {lost_late[:20]}")
        dups = sorted(s for s, n in got.items() if n > 1 and pub.sent[s] == 2)
        if dups:
            problems.append(f"{sub.client_id}: DUPLICATE QoS 2 message(s) of {pub.name}: "
                            + ", ".join(f"seq {s} x{got[s]}" for s in dups[:20]))
    return problems


# --------------------------------------------------------------------------------------------
# Random kills under load
# --------------------------------------------------------------------------------------------


class RandomKillTest(unittest.TestCase):
    """Four publishers (QoS 1/2 at random, sequence numbers in the payload) and one retained
    topic (QoS 1, increasing values) under load; persistent subscribers online throughout,
    offline from their SUBSCRIBE to the end, or coming and going. Each life of the broker ends
    with kill -9 at a random moment; the clients reconnect to the restarted broker and resume
    their sessions (paho sends unacknowledged messages again). At the end everybody drains.

    Oracle: every acknowledged QoS 1 message reached every matching subscriber at least once,
    every QoS 2 message exactly once (no duplicate at all), first receipts per publisher and QoS
    in increasing order within a connection, every reconnection found its session, and after
    each restart the retained topic holds the last value acknowledged before the kill or a later
    one."""

    # Kills per run; TERN_CRASH_CYCLES=N for a longer soak.
    CYCLES = int(os.environ.get("TERN_CRASH_CYCLES") or 6)

    def setUp(self):
        quiet_paho()
        self.seed = int(os.environ.get("TERN_CRASH_SEED") or random.randrange(1 << 30))
        self.rng = random.Random(self.seed)
        self.broker = CrashBroker()
        self.peers = []

    def tearDown(self):
        self.broker.close()
        for p in self.peers:  # their connections died with the broker
            p.halt()

    def fail_with_logs(self, message):
        self.fail(f"{message}\n(seed {self.seed}: TERN_CRASH_SEED={self.seed} replays the "
                  f"random choices)\n" + self.broker.dump())

    def child_rng(self):
        return random.Random(self.rng.random())

    def probe_retained(self, retained_pub, life):
        """Right after a restart, before the publisher sends anything again: the retained topic
        holds the last value acknowledged before the kill, or a later (unacknowledged) one."""
        floor = retained_pub.highest_acked()
        top = retained_pub.next_seq - 1
        probe = RawClient(self.broker, f"crash-probe-{life}", level=4)
        try:
            probe.subscribe([(retained_pub.topic, sub_options(1))])
            got = [parse_publish(p) for p in probe.sync(timeout=WAIT) if p.type == PUBLISH]
            for m in got:
                if m.qos:
                    probe.send(ack_packet(PUBACK, m.packet_id))
        finally:
            probe.close()
        if top == 0:
            return None
        if not got:
            if floor:
                self.fail_with_logs(f"life {life}: retained topic empty after restart; "
                                    f"{retained_pub.name}:{floor} had been acknowledged")
            return None
        name, seq = parse_payload(got[-1].payload)
        seq = int(seq)
        if len(got) != 1 or not got[0].retain or name != retained_pub.name:
            self.fail_with_logs(f"life {life}: unexpected retained messages {got}")
        if not floor <= seq <= top:
            self.fail_with_logs(f"life {life}: retained value {seq} after restart; acknowledged "
                                f"before the kill: up to {floor}, sent: up to {top}")
        return seq

    def test_random_kills_under_load(self):
        started = time.monotonic()
        port = self.broker.port
        b = self.broker.launch()
        self.assertEqual(b.port, port)
        ids = iter(range(100))

        def cid(prefix, shard):
            return shard_id(f"crash-{prefix}-{next(ids)}", shard, SHARDS)

        publishers = [
            Publisher(port, cid("pub-a", 0), 4, "dur/p/a"),
            Publisher(port, cid("pub-b", 1), 5, "dur/p/b"),
            Publisher(port, cid("pub-c", 1), 4, "dur/p/c"),
            # Its messages have a single persistent subscriber.
            Publisher(port, cid("pub-d", 0), 5, "dur/solo/d"),
        ]
        retained_pub = Publisher(port, cid("pub-r", 0), 5, "dur/r", qos_choices=(1,),
                                 retain=True, limit=100000)
        all_pubs = publishers + [retained_pub]
        subscribers = [
            Subscriber(port, cid("sub-online", 0), 4, "online"),
            # A small Receive Maximum: most of its messages wait in the broker's session queue.
            Subscriber(port, cid("sub-online", 1), 5, "online", receive_maximum=3),
            Subscriber(port, cid("sub-offline", 1), 4, "offline"),
            Subscriber(port, cid("sub-offline", 0), 5, "offline"),
            Subscriber(port, cid("sub-flapping", 1), 4, "flapping"),
            Subscriber(port, cid("sub-flapping", 0), 5, "flapping", receive_maximum=8),
            Subscriber(port, cid("sub-solo", 1), 4, "flapping", topic_filter="dur/solo/#"),
        ]
        self.peers = all_pubs + subscribers
        for s in subscribers:
            self.assertFalse(s.must_connect(), f"{s.client_id}: a new session")
            s.subscribe()
            if s.kind == "offline":
                s.disconnect()
        for p in all_pubs:
            self.assertFalse(p.must_connect(), f"{p.client_id}: a new session")

        lives = []
        for cycle in range(self.CYCLES):
            if cycle > 0:
                b.launch()
                retained_seen = self.probe_retained(retained_pub, cycle + 1)
                for p in self.peers:
                    if getattr(p, "kind", None) != "offline":
                        p.must_connect()
            else:
                retained_seen = None
            stop = threading.Event()
            threads = [threading.Thread(target=p.pump, args=(stop, self.child_rng()))
                       for p in all_pubs]
            threads += [threading.Thread(target=s.flap, args=(stop, self.child_rng()))
                        for s in subscribers if s.kind == "flapping"]
            for t in threads:
                t.start()
            # Now and then very soon, while the clients are still resending.
            up_for = (self.rng.uniform(0.01, 0.1) if self.rng.random() < 0.25
                      else self.rng.uniform(0.2, 1.1))
            time.sleep(up_for)
            code = b.kill()
            stop.set()
            for t in threads:
                t.join(WAIT)
                self.assertFalse(t.is_alive(), "a load thread did not stop")
            for p in self.peers:
                p.halt()
            for p in all_pubs:
                p.on_kill()
            self.assertEqual(code, -signal.SIGKILL)
            lives.append((round(up_for, 2), sum(len(p.acked) for p in publishers),
                          retained_seen))

        # The last life: everybody (the offline subscribers too) comes back and drains.
        b.launch()
        self.probe_retained(retained_pub, self.CYCLES + 1)
        for p in self.peers:
            p.must_connect()
        deadline = time.monotonic() + 30
        for p in all_pubs:
            while p.outstanding():
                if time.monotonic() > deadline:
                    self.fail_with_logs(f"{p.name}: {p.outstanding()} message(s) still not "
                                        f"acknowledged after the last restart")
                time.sleep(0.01)
            p.finish()
        last_retained = retained_pub.highest_acked()
        for p in publishers:
            info = p.client.publish(p.topic, f"{p.name}:end".encode(), qos=2)
            info.wait_for_publish(WAIT)
            self.assertTrue(info.is_published(), f"{p.name}: end marker not acknowledged")
        for s in subscribers:
            ends = {f"{p.name}:end".encode() for p in s.sources(publishers)}
            while not ends <= set(s.payloads()):
                if time.monotonic() > deadline:
                    self.fail_with_logs(f"{s.client_id}: end markers not all received; got "
                                        f"{ends & set(s.payloads())}")
                time.sleep(0.01)
        time.sleep(0.2)  # a duplicate would have come before the end markers; be generous

        problems = []
        for p in self.peers:
            problems += p.problems
        for s in subscribers:
            problems += check_deliveries(s, s.sources(publishers))
        # After a clean stop and a restart the retained value is exactly the last one.
        for p in self.peers:
            p.disconnect()
        b.stop_gracefully()
        b.launch()
        final_retained = self.probe_retained(retained_pub, self.CYCLES + 2)
        if final_retained != last_retained:
            problems.append(f"retained value {final_retained} after a clean restart, expected "
                            f"the last acknowledged {last_retained}")
        b.stop_gracefully()
        elapsed = time.monotonic() - started
        summary = (f"seed {self.seed}; {self.CYCLES} kills in {elapsed:.1f} s; lives (seconds up, "
                   f"messages acknowledged so far, retained value at restart): {lives}; "
                   + "; ".join(f"{p.name}: {len(p.sent)} sent, {len(p.acked_before_kill)} acked "
                               f"before a kill, {len(p.acked_late)} acked after being sent again"
                               for p in all_pubs)
                   + "; " + "; ".join(f"{s.client_id}: {len(s.received)} received in "
                                      f"{s.connections} connections" for s in subscribers))
        if problems:
            self.fail_with_logs("durability violated:\n  " + "\n  ".join(problems[:60])
                                + f"\n{summary}")
        if os.environ.get("TERN_CRASH_VERBOSE"):
            sys.stderr.write(f"\n{summary}\n")
        for s in subscribers:
            self.assertGreater(s.connections, 1 if s.kind == "offline" else self.CYCLES,
                               f"{s.client_id} connections")



# --------------------------------------------------------------------------------------------
# Precise kill points with strace fault injection
# --------------------------------------------------------------------------------------------

STRACE_LINE = re.compile(r"^(\d+) +(?:(\w+)\((.*?)(?: <unfinished \.\.\.>$|\) += (.*)$)|"
                         r"<\.\.\. (\w+) resumed>.*?= (.*)$)")
PACKET_NAMES = {0x40: "PUBACK", 0x50: "PUBREC", 0x62: "PUBREL", 0x70: "PUBCOMP", 0x20: "CONNACK",
                0x32: "PUBLISH QoS 1", 0x34: "PUBLISH QoS 2", 0x3A: "PUBLISH QoS 1 DUP",
                0x3C: "PUBLISH QoS 2 DUP"}


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def first_byte(strace_args):
    """The first byte of a sendmsg's first iovec as strace printed it."""
    m = re.search(r'iov_base="(\\[0-7]{1,3}|\\.|[^"\\])', strace_args)
    if m is None:
        return None
    text = m.group(1)
    if re.fullmatch(r"\\[0-7]{1,3}", text):
        return int(text[1:], 8)
    if text.startswith("\\"):
        return {"n": 10, "t": 9, "v": 11, "f": 12, "r": 13}.get(text[1], ord(text[1]))
    return ord(text)


def shard_thread_of(pid, client_sock, broker_port):
    """The thread of tern (pid) that serves the connection of `client_sock`: the one waiting in
    epoll_wait on the epoll set that holds tern's end of that connection."""
    client_port = client_sock.getsockname()[1]
    inode = None
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                local = int(fields[1].rsplit(":", 1)[1], 16)
                remote = int(fields[2].rsplit(":", 1)[1], 16)
                if local == broker_port and remote == client_port:
                    inode = fields[9]
    fds = [n for n in os.listdir(f"/proc/{pid}/fd")
           if os.readlink(f"/proc/{pid}/fd/{n}") == f"socket:[{inode}]"]
    if inode is None or len(fds) != 1:
        raise AssertionError(f"tern's socket for client port {client_port} not found")
    epoll_fd = None
    for n in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{n}") as f:
                info = f.read()
        except OSError:
            continue
        if re.search(rf"^tfd:\s+{fds[0]}\s", info, re.M):
            epoll_fd = int(n)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                call = f.read().split()
            # x86-64: 232 epoll_wait, 281 epoll_pwait
            if call[0] in ("232", "281") and int(call[1], 16) == epoll_fd:
                return int(tid)
        time.sleep(0.01)
    raise AssertionError(f"no thread of tern waits on epoll set {epoll_fd}")


class StraceLog:
    """The syscalls strace saw, in order, as (name, arguments, result); the one the injected
    SIGKILL stopped has result "?" (the kernel never ran it)."""

    def __init__(self, path):
        self.path = path
        with open(path, encoding="utf-8", errors="replace") as f:
            self.text = f.read()
        self.calls = []
        open_calls = {}
        for line in self.text.splitlines():
            m = STRACE_LINE.match(line)
            if not m:
                continue
            tid, name, args, result, resumed, resumed_result = m.groups()
            if name is not None and result is None:  # unfinished: completed by "resumed"
                open_calls[tid] = len(self.calls)
                self.calls.append([name, args, None])
            elif name is not None:
                self.calls.append([name, args, result.strip()])
            elif tid in open_calls:
                self.calls[open_calls.pop(tid)][2] = resumed_result.strip()
        self.calls = [tuple(c) for c in self.calls]

    def killed_at(self, syscall):
        """(arguments) of the `syscall` that the injected SIGKILL stopped."""
        for name, args, result in self.calls:
            if name == syscall and result == "?":
                return args
        raise AssertionError(f"no {syscall} stopped by SIGKILL in the strace log {self.path}:\n"
                             f"{self.text[-3000:]}")

    def before(self, syscall_args):
        """The calls before the stopped one."""
        for i, (_, args, result) in enumerate(self.calls):
            if args == syscall_args and result == "?":
                return self.calls[:i]
        return list(self.calls)


class CrashBrokerTest(unittest.TestCase):
    """A CrashBroker per test and the raw clients it opened, closed at the end."""

    def setUp(self):
        quiet_paho()
        self.broker = CrashBroker()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.broker.close()

    def fail_with_logs(self, message):
        self.fail(message + "\n" + self.broker.dump())


@unittest.skipUnless(STRACE, "strace is not installed (Debian: apt-get install strace)")
class PreciseKillTest(CrashBrokerTest):
    """strace -e inject=SYSCALL:signal=KILL delivers SIGKILL on entry to the chosen syscall, so
    the kernel never runs it: the broker dies exactly there. The strace log shows what ran
    before."""

    # -- helpers -------------------------------------------------------------------------------

    def raw(self, client_id, level, session_present=None):
        """A raw client with a persistent session."""
        kwargs = dict(clean=False)
        if level == 5:
            kwargs["props"] = [(SESSION_EXPIRY_INTERVAL, SESSION_EXPIRY)]
        c = RawClient(self.broker, client_id, level=level, **kwargs)
        c.sock.settimeout(WAIT)
        self.clients.append(c)
        if session_present is not None:
            self.assertEqual(c.connack.session_present, session_present,
                             f"{client_id}: CONNACK session present")
        return c

    def wait_offline(self, client_id, times=1):
        pattern = re.compile(rf"client disconnected: id={re.escape(client_id)} ")
        deadline = time.monotonic() + WAIT
        while len(pattern.findall(self.broker.log())) < times:
            if time.monotonic() > deadline:
                self.fail_with_logs(f"{client_id}: disconnect not logged")
            time.sleep(0.01)

    def attach(self, syscall, when=1, path=None):
        """Attaches strace to the running tern (all threads): the when-th `syscall` of a thread
        (only those on `path` when given) gets SIGKILL on entry. Returns once every thread is
        traced."""
        pid = self.broker.proc.pid
        log = os.path.join(self.broker.tmpdir, f"strace.{self.broker.runs}.{syscall}.log")
        trace = ",".join(sorted({syscall, "fdatasync", "sendmsg"}))
        only = ["-P", path] if path is not None else []
        proc = subprocess.Popen([STRACE, "-f", "-y", "-s", "64", "-o", log, "-p", str(pid),
                                 "-e", f"trace={trace}", *only,
                                 "-e", f"inject={syscall}:signal=KILL:when={when}"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT
        # strace says "Process N attached with M threads" once it has seized them all.
        err = b""
        while b"attached" not in err:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                self.fail(f"strace did not attach: {err.decode(errors='replace')}")
            ready, _, _ = select.select([proc.stderr], [], [], 0.1)
            if ready:
                err += os.read(proc.stderr.fileno(), 4096)
        while True:
            tasks = os.listdir(f"/proc/{pid}/task")
            tracers = []
            for t in tasks:
                with open(f"/proc/{pid}/task/{t}/status") as f:
                    tracers.append(re.search(r"TracerPid:\s+(\d+)", f.read()).group(1))
            if all(t == str(proc.pid) for t in tracers):
                break
            if time.monotonic() > deadline:
                self.fail("strace did not attach to every thread")
            time.sleep(0.005)
        time.sleep(0.05)  # strace resumes the threads after seizing them
        return proc, log

    def killed(self, armed, syscall):
        """Waits for the injected kill; returns (StraceLog, arguments of the stopped call)."""
        proc, log = armed
        code = self.broker.reap(WAIT)
        try:
            proc.wait(WAIT)
        finally:
            proc.stderr.close()
        if code != -signal.SIGKILL:
            self.fail_with_logs(f"tern exited with {code}, not by the injected SIGKILL")
        trace = StraceLog(log)
        stopped = trace.killed_at(syscall)
        byte = first_byte(stopped) if syscall == "sendmsg" else None
        report(f"run {self.broker.runs}: SIGKILL on entry to {syscall}("
               + (PACKET_NAMES.get(byte, str(byte)) if byte is not None else stopped) + ")")
        return trace, stopped

    def expect_no_ack(self, client, what):
        """The broker dies before it answers: the connection ends without a packet."""
        try:
            pkt = read_packet(client.sock, timeout=WAIT)
        except Closed:
            return
        except TimeoutError:
            self.fail_with_logs(f"{what}: neither an answer nor the broker's death within {WAIT} s")
        self.fail_with_logs(f"{what}: got packet type {pkt.type} although the broker was to die "
                            f"before answering")

    def assert_committed_before(self, trace, stopped_args):
        """A completed fdatasync of the write-ahead log precedes the stopped call (RocksDB's
        background work may sync table files meanwhile: those do not count)."""
        syncs = [result for name, args, result in trace.before(stopped_args)
                 if name == "fdatasync" and args.endswith(".log>")]
        self.assertTrue(syncs and syncs[-1] == "0",
                        f"no completed WAL fdatasync before the kill point:\n{trace.text}")

    def drain(self, client, last_payload, level):
        """Reads, acknowledging everything, until `last_payload` arrived and a PINGREQ round
        trip shows nothing more; returns [(payload, qos, dup, packet_id)] and the PUBRELs seen
        before any PUBLISH."""
        got, early_pubrels = [], []
        deadline = time.monotonic() + WAIT
        while True:
            packets = client.sync(timeout=WAIT)
            for pkt in packets:
                if pkt.type == PUBREL:
                    pid = parse_ack(pkt, PUBREL, level)[0]
                    if not got:
                        early_pubrels.append(pid)
                    client.send(ack_packet(PUBCOMP, pid))
                    continue
                self.assertEqual(pkt.type, PUBLISH, f"unexpected packet {pkt}")
                m = parse_publish(pkt, level)
                got.append((m.payload, m.qos, m.dup, m.packet_id))
                client.ack(m)
            if not packets and (last_payload is None
                                or any(g[0] == last_payload for g in got)):
                return got, early_pubrels
            if time.monotonic() > deadline:
                self.fail_with_logs(f"{client.client_id}: {last_payload!r} not received; got "
                                    f"{got}")

    def assert_deliveries(self, got, at_least_once=(), exactly_once=(), maybe=()):
        payloads = [g[0] for g in got]
        counts = collections.Counter(payloads)
        for p in at_least_once:
            self.assertGreaterEqual(counts[p], 1, f"{p!r} was acknowledged or committed and is "
                                                  f"lost; got {got}")
        for p in exactly_once:
            self.assertEqual(counts[p], 1, f"{p!r} (QoS 2) must arrive exactly once; got {got}")
        unknown = set(counts) - set(at_least_once) - set(exactly_once) - set(maybe)
        self.assertFalse(unknown, f"unexpected messages {unknown}")
        return counts

    # -- tests ---------------------------------------------------------------------------------

    def test_kill_at_commit_fdatasync_before_ack(self):
        """(i) Killed on entry to the commit's fdatasync of the write-ahead log: no PUBACK or
        PUBREC was sent; what was acknowledged before is there; the unacknowledged message may
        be there (it reached the kernel's page cache, which a process crash keeps)."""
        b = self.broker.launch()
        sub_id, pub_id = shard_id("pk-sub", 0, SHARDS), shard_id("pk-pub", 0, SHARDS)
        sub = self.raw(sub_id, 4, session_present=False)
        self.assertEqual(sub.subscribe([("pk/#", sub_options(2))]), [2])
        sub.close()
        self.wait_offline(sub_id)
        pub = self.raw(pub_id, 5, session_present=False)
        self.assertEqual(pub.publish("pk/t", b"acked-1", qos=1), 0)
        self.assertEqual(pub.publish("pk/t", b"acked-2", qos=2), 0)

        armed = self.attach("fdatasync")
        pub.send(publish("pk/t", b"unacked-3", qos=1, packet_id=30, level=5))
        self.expect_no_ack(pub, "QoS 1 PUBLISH killed at its commit")
        trace, stopped = self.killed(armed, "fdatasync")
        self.assertTrue(stopped.endswith(".log>"), f"not the WAL's fdatasync: {stopped}")
        self.assertFalse([c for c in trace.calls if c[0] == "sendmsg"],
                         f"tern wrote to a client after the kill point was armed:\n{trace.text}")

        b.launch()
        pub = self.raw(pub_id, 5, session_present=True)
        armed = self.attach("fdatasync")
        pub.send(publish("pk/t", b"unacked-4", qos=2, packet_id=40, level=5))
        self.expect_no_ack(pub, "QoS 2 PUBLISH killed at its commit")
        trace, stopped = self.killed(armed, "fdatasync")
        self.assertTrue(stopped.endswith(".log>"), f"not the WAL's fdatasync: {stopped}")
        self.assertFalse([c for c in trace.calls if c[0] == "sendmsg"], trace.text)

        b.launch()
        pub = self.raw(pub_id, 5, session_present=True)
        # The publisher sends the unacknowledged QoS 2 message again, as it must [MQTT-4.4.0-1]:
        # whether or not the broker kept it, it is one message.
        pub.send(publish("pk/t", b"unacked-4", qos=2, dup=True, packet_id=40, level=5))
        self.assertEqual(parse_ack(pub.read(), PUBREC, 5)[:2], (40, 0))
        pub.send(ack_packet(PUBREL, 40))
        self.assertEqual(parse_ack(pub.read(), PUBCOMP, 5)[:2], (40, 0))

        # One step earlier, on entry to the write() of the commit's record to the write-ahead
        # log (strace -P: only calls on that file): the record never reached the kernel, so
        # the message is not kept; the publisher sends it again and it arrives once.
        wal = max(glob.glob(os.path.join(self.broker.data_dir, "*.log")))
        armed = self.attach("write", path=wal)
        pub.send(publish("pk/t", b"unwritten-5", qos=1, packet_id=50, level=5))
        self.expect_no_ack(pub, "QoS 1 PUBLISH killed at its WAL write")
        trace, stopped = self.killed(armed, "write")
        self.assertIn(f"<{wal}>", stopped.split(",")[0], f"not the WAL's write: {stopped}")
        b.launch()
        pub = self.raw(pub_id, 5, session_present=True)
        pub.send(publish("pk/t", b"unwritten-5", qos=1, dup=True, packet_id=50, level=5))
        self.assertEqual(parse_ack(pub.read(), PUBACK, 5)[:2], (50, 0))

        self.assertEqual(pub.publish("pk/t", b"last", qos=1), 0)
        sub = self.raw(sub_id, 4, session_present=True)
        got, _ = self.drain(sub, b"last", 4)
        counts = self.assert_deliveries(got, at_least_once=[b"acked-1", b"last"],
                                        exactly_once=[b"acked-2", b"unacked-4", b"unwritten-5"],
                                        maybe=[b"unacked-3"])
        self.assert_first_receipt_order(got, [b"acked-1", b"acked-2", b"unacked-3",
                                              b"unacked-4", b"unwritten-5", b"last"])
        report(f"(i) kill at the commit's fdatasync: unacknowledged QoS 1 message "
               f"{'kept' if counts[b'unacked-3'] else 'not kept'} (the page cache survives a "
               f"process crash); kill at the WAL write: not kept, sent again, delivered once")
        b.stop_gracefully()

    def assert_killed_writing(self, trace, stopped, packet):
        """The stopped sendmsg carried `packet` (a first byte) and came after a WAL commit."""
        byte = first_byte(stopped)
        self.assertEqual(byte, packet,
                         f"the kill hit {PACKET_NAMES.get(byte, byte)}, not "
                         f"{PACKET_NAMES.get(packet)}: {stopped}\n{trace.text}")
        self.assert_committed_before(trace, stopped)

    def test_kill_after_commit_at_ack_sendmsg(self):
        """(ii) Killed on entry to the sendmsg that carries the acknowledgement, after the
        commit's fdatasync completed: the client got no acknowledgement, the message is kept,
        and the exchange completes exactly once after the restart. Publisher side: PUBACK,
        PUBREC, PUBCOMP. Subscriber side: PUBREL, and the first send of a QoS 2 message (which
        waits for its packet identifier to be stored)."""
        b = self.broker.launch()
        # One shard for both, so that the order of the broker's writes on its thread is known.
        sub_id, pub_id = shard_id("ak-sub", 1, SHARDS), shard_id("ak-pub", 1, SHARDS)
        sub = self.raw(sub_id, 5, session_present=False)
        self.assertEqual(sub.subscribe([("ak/#", sub_options(2))]), [2])
        sub.close()
        self.wait_offline(sub_id)
        pub = self.raw(pub_id, 4, session_present=False)
        self.assertEqual(pub.publish("ak/t", b"acked-1", qos=1), 0)

        # PUBACK
        armed = self.attach("sendmsg")
        pub.send(publish("ak/t", b"committed-2", qos=1, packet_id=21))
        self.expect_no_ack(pub, "PUBACK")
        trace, stopped = self.killed(armed, "sendmsg")
        self.assert_killed_writing(trace, stopped, 0x40)

        # PUBREC
        b.launch()
        pub = self.raw(pub_id, 4, session_present=True)
        armed = self.attach("sendmsg")
        pub.send(publish("ak/t", b"committed-3", qos=2, packet_id=31))
        self.expect_no_ack(pub, "PUBREC")
        trace, stopped = self.killed(armed, "sendmsg")
        self.assert_killed_writing(trace, stopped, 0x50)

        b.launch()
        pub = self.raw(pub_id, 4, session_present=True)
        # Sent again with DUP: the stored packet identifier makes it the same message.
        pub.send(publish("ak/t", b"committed-3", qos=2, dup=True, packet_id=31))
        self.assertEqual(parse_ack(pub.read(), PUBREC)[0], 31)

        # PUBCOMP
        armed = self.attach("sendmsg")
        pub.send(ack_packet(PUBREL, 31))
        self.expect_no_ack(pub, "PUBCOMP")
        trace, stopped = self.killed(armed, "sendmsg")
        self.assert_killed_writing(trace, stopped, 0x70)

        b.launch()
        pub = self.raw(pub_id, 4, session_present=True)
        pub.send(ack_packet(PUBREL, 31))
        self.assertEqual(parse_ack(pub.read(), PUBCOMP)[0], 31)
        # The identifier is free again: the same id now carries a new message.
        self.assertEqual(pub.publish("ak/t", b"new-4", qos=2, packet_id=31), 0)
        self.assertEqual(pub.publish("ak/t", b"acked-5", qos=1), 0)

        # PUBREL to the subscriber: it sent PUBREC for committed-3, the broker stored that.
        sub = self.raw(sub_id, 5, session_present=True)
        first = [parse_publish(p, 5) for p in sub.sync()]
        self.assertEqual([m.payload for m in first],
                         [b"acked-1", b"committed-2", b"committed-3", b"new-4", b"acked-5"],
                         "queued while offline, in order")
        target = next(m for m in first if m.payload == b"committed-3")
        self.assertEqual(target.qos, 2)
        for m in first:
            if m is not target and m.qos == 1:
                sub.send(ack_packet(PUBACK, m.packet_id))
        armed = self.attach("sendmsg")
        sub.send(ack_packet(PUBREC, target.packet_id))
        self.expect_no_ack(sub, "PUBREL to the subscriber")
        trace, stopped = self.killed(armed, "sendmsg")
        self.assert_killed_writing(trace, stopped, 0x62)

        b.launch()
        sub = self.raw(sub_id, 5, session_present=True)
        again, early_pubrels = self.drain_until_quiet(sub)
        self.assertEqual(early_pubrels[:1], [target.packet_id],
                         f"PUBREL for committed-3 comes again first [MQTT-4.4.0-1]; got "
                         f"{early_pubrels}, {again}")
        self.assertNotIn(b"committed-3", [m[0] for m in again],
                         "committed-3 sent again after its PUBREC was stored")
        # new-4 (QoS 2) was sent but not acknowledged: it comes again with DUP and its id.
        redone = [m for m in again if m[0] == b"new-4"]
        self.assertEqual(len(redone), 1, f"{again}")
        self.assertTrue(redone[0][2], "new-4 is sent again with DUP [MQTT-3.3.1-1]")

        # The first send of a QoS 2 message waits until its packet identifier is stored: kill
        # at that PUBLISH, the 2nd write of this shard's thread (the 1st is the PUBREC).
        pub = self.raw(pub_id, 4, session_present=True)
        armed = self.attach("sendmsg", when=2)
        pub.send(publish("ak/t", b"live-6", qos=2, packet_id=61))
        self.assertEqual(parse_ack(pub.read(), PUBREC)[0], 61)
        self.expect_no_ack(sub, "first send of a QoS 2 message")
        trace, stopped = self.killed(armed, "sendmsg")
        self.assert_killed_writing(trace, stopped, 0x34)

        b.launch()
        sub = self.raw(sub_id, 5, session_present=True)
        again, _ = self.drain_until_quiet(sub)
        self.assertEqual([(m[0], m[2]) for m in again], [(b"live-6", True)],
                         "live-6 once, with DUP: its packet identifier was stored before the "
                         "first send")
        pub = self.raw(pub_id, 4, session_present=True)
        pub.send(ack_packet(PUBREL, 61))
        self.assertEqual(parse_ack(pub.read(), PUBCOMP)[0], 61)
        self.assertEqual(pub.publish("ak/t", b"acked-7", qos=1), 0)
        got, _ = self.drain(sub, b"acked-7", 5)
        self.assertEqual([m[0] for m in got], [b"acked-7"])
        report("(ii) kills at the sendmsg of PUBACK, PUBREC, PUBCOMP, PUBREL to a subscriber "
               "and a first QoS 2 send: every committed message kept, exactly once for QoS 2")
        b.stop_gracefully()

    def drain_until_quiet(self, client, level=5):
        """Everything the broker sends until a PINGREQ round trip shows nothing more, all
        acknowledged: ([(payload, qos, dup, packet_id)], PUBREL ids seen before any PUBLISH)."""
        return self.drain(client, None, level)

    def test_kill_during_recovery(self):
        """(iii) A store whose write-ahead log holds acknowledged messages is recovered at
        start-up: RocksDB writes the log's contents to a table file, installs a new MANIFEST
        through CURRENT and deletes the old log. Tern is killed at each of those steps in turn
        (each start recovering what the previous one left), then starts for good: everything
        acknowledged before is there, once per QoS 2 message, and the publisher's QoS 2 packet
        identifier awaiting PUBREL is still known."""
        b = self.broker.launch()
        sub_id, pub_id = shard_id("rk-sub", 1, SHARDS), shard_id("rk-pub", 0, SHARDS)
        sub = self.raw(sub_id, 5, session_present=False)
        self.assertEqual(sub.subscribe([("rk/t", sub_options(2))]), [2])
        sub.close()
        self.wait_offline(sub_id)
        pub = self.raw(pub_id, 5, session_present=False)
        rng = random.Random(7)
        sent = []
        for i in range(300):
            qos = rng.choice((1, 2))
            payload = f"m{i:03d}".encode()
            self.assertEqual(pub.publish("rk/t", payload, qos=qos), 0)
            sent.append((payload, qos))
            if i % 30 == 0:
                self.assertEqual(pub.publish("rk/r", f"r{i:03d}".encode(), qos=1, retain=True), 0)
        last_retained = b"r270"
        # A QoS 2 message whose PUBREL the publisher has not sent yet.
        pub.send(publish("rk/t", b"pending", qos=2, packet_id=77, level=5))
        self.assertEqual(parse_ack(pub.read(), PUBREC, 5)[:2], (77, 0))
        sent.append((b"pending", 2))
        self.assertEqual(b.kill(), -signal.SIGKILL)

        data = self.broker.data_dir
        wals = sorted(glob.glob(os.path.join(data, "*.log")))
        self.assertTrue(wals, f"no write-ahead log in {os.listdir(data)}")
        points = [
            # (syscall, when, strace -P path, what the stopped call must name)
            ("fdatasync", 1, None, re.compile(r"\.sst>$")),         # the recovered table file
            ("fdatasync", 2, None, re.compile(r"/MANIFEST-\d+>$")),  # the new MANIFEST
            ("fdatasync", 3, None, re.compile(r"\.dbtmp>$")),       # the next CURRENT
            # (the rename of the next CURRENT over CURRENT comes right after that sync)
            ("fsync", 1, None, re.compile(re.escape(data) + ">$")),   # the directory, after it
            ("unlink", 1, wals[-1], re.compile(re.escape(wals[-1]) + '"$')),  # the old log
        ]
        for syscall, when, path, expect in points:
            log = os.path.join(self.broker.tmpdir, f"strace.{self.broker.runs + 1}.{syscall}.log")
            wrapper = [STRACE, "-f", "-y", "-s", "200", "-o", log, "-e", f"trace={syscall}",
                       "-e", f"inject={syscall}:signal=KILL:when={when}"]
            if path is not None:
                wrapper += ["-P", path]
            b.launch(wrapper=wrapper, serve=False)
            code = b.reap(START_WAIT)
            run_log = b.log()
            if code != -signal.SIGKILL or "store loaded" in run_log:
                self.fail_with_logs(f"{syscall} #{when}: tern was not killed while opening the "
                                    f"store (exit code {code})")
            trace = StraceLog(log)
            stopped = trace.killed_at(syscall)
            self.assertRegex(stopped, expect, f"{syscall} #{when} stopped the wrong call:\n"
                                              f"{trace.text}")
            report(f"run {b.runs}: killed during recovery on entry to {syscall}({stopped})")

        b.launch()
        self.assertIn("store loaded", b.log())
        pub = self.raw(pub_id, 5, session_present=True)
        pub.send(ack_packet(PUBREL, 77))
        self.assertEqual(parse_ack(pub.read(), PUBCOMP, 5)[:2], (77, 0),
                         "the packet identifier awaiting PUBREL was lost (0x92: not found)")
        probe = RawClient(self.broker, "rk-probe", level=4)
        self.clients.append(probe)
        probe.subscribe([("rk/r", sub_options(1))])
        retained = [parse_publish(p) for p in probe.sync()]
        self.assertEqual([(m.payload, m.retain) for m in retained], [(last_retained, True)])
        self.assertEqual(pub.publish("rk/t", b"last", qos=1), 0)
        sub = self.raw(sub_id, 5, session_present=True)
        got, _ = self.drain(sub, b"last", 5)
        self.assert_deliveries(got, at_least_once=[p for p, q in sent if q == 1] + [b"last"],
                               exactly_once=[p for p, q in sent if q == 2])
        self.assert_first_receipt_order(got, [p for p, _ in sent] + [b"last"])
        b.stop_gracefully()

    def test_retained_value_kept_when_old_message_is_released_on_another_shard(self):
        """The retained topic keeps its last acknowledged value when the message it replaces is
        released on another shard first. R1 is retained and acknowledged; a subscriber on the
        other shard got R1, so that shard holds a reference to it. The publisher's shard takes R2
        (not yet acknowledged) and is held up (strace delays that one thread) before it hands
        its batch to the storage thread; meanwhile the other shard lets go of R1 and commits.
        Killed then, the store must still hold R1 (or R2), never nothing."""
        if platform.machine() != "x86_64":
            self.skipTest("reads syscall numbers of x86-64 from /proc")
        b = self.broker.launch()
        pub_id, sub_id = shard_id("rs-pub", 0, SHARDS), shard_id("rs-sub", 1, SHARDS)
        pub = RawClient(b, pub_id, level=4)
        sub = RawClient(b, sub_id, level=4)
        self.clients += [pub, sub]
        sub.subscribe([("rs/t", sub_options(1)), ("rs/other/#", sub_options(1))])
        self.assertEqual(pub.publish("rs/t", b"R1", qos=1, retain=True), 0)  # acknowledged
        r1 = sub.expect_publish()
        self.assertEqual(r1.payload, b"R1")

        # The publisher's shard thread: once it has read and handled R2 it re-arms the socket
        # (epoll_ctl) before the batch goes to the storage thread; that call waits 30 s on
        # entry.
        thread = shard_thread_of(b.proc.pid, pub.sock, b.port)
        log = os.path.join(b.tmpdir, "strace.stall.log")
        stall = subprocess.Popen([STRACE, "-p", str(thread), "-o", log, "-e",
                                  "trace=recvfrom,epoll_ctl",
                                  "-e", "inject=epoll_ctl:delay_enter=30000000:when=1"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        try:
            err = b""
            deadline = time.monotonic() + WAIT
            while b"attached" not in err and time.monotonic() < deadline:
                if select.select([stall.stderr], [], [], 0.1)[0]:
                    err += os.read(stall.stderr.fileno(), 4096)
            self.assertIn(b"attached", err, "strace did not attach")
            time.sleep(0.05)
            pub.send(publish("rs/t", b"R2", qos=1, retain=True, packet_id=2))
            # The strace log then shows the read of R2 and the re-arming, held up on entry.
            deadline = time.monotonic() + WAIT
            held_up = re.compile(r'R2", \d+.*\) = \d+\n\d*\s*epoll_ctl\((?:(?!\) = ).)*$')
            while not held_up.search(read_text(log)):
                self.assertLess(time.monotonic(), deadline, f"no stall:\n{read_text(log)}")
                time.sleep(0.01)
            # The other shard: PUBACK for R1, then it encodes another PUBLISH with the same
            # layout (its per-shard head cache lets go of R1), then commits a batch of its own.
            sub.send(ack_packet(PUBACK, r1.packet_id))
            self.assertEqual(sub.publish("rs/other/1", b"O1", qos=1, retain=True), 0)
            sub.ack(sub.expect_publish())
            self.assertEqual(sub.publish("rs/other/2", b"O2", qos=1, retain=True), 0)
            with self.assertRaises(TimeoutError, msg="R2 was acknowledged: the stall failed"):
                read_packet(pub.sock, timeout=0.2)
            self.kill_stalled(stall)
        finally:
            self.kill_stalled(stall)
            stall.stderr.close()

        b.launch()
        probe = RawClient(b, "rs-probe", level=4)
        self.clients.append(probe)
        probe.subscribe([("rs/t", sub_options(1))])
        retained = [parse_publish(p).payload for p in probe.sync() if p.type == PUBLISH]
        if retained not in ([b"R1"], [b"R2"]):
            self.fail_with_logs(
                f"retained topic holds {retained} after kill -9; R1 was acknowledged (R2 was "
                f"not): R1's message record was erased by the other shard's commit while the "
                f"retained key still pointed at it, and the start-up dropped the key as a "
                f"leftover")
        b.stop_gracefully()

    def kill_stalled(self, stall):
        """kill -9 while one thread is held up by strace: the others die at once; the held-up
        one has the SIGKILL pending and dies as strace lets go of it (SIGINT: strace detaches),
        before it runs another instruction of tern."""
        if self.broker.proc is None:
            return
        os.kill(self.broker.proc.pid, signal.SIGKILL)
        if stall.poll() is None:
            stall.send_signal(signal.SIGINT)
        stall.wait(WAIT)
        self.assertEqual(self.broker.reap(), -signal.SIGKILL)

    def assert_first_receipt_order(self, got, publish_order):
        firsts = list(dict.fromkeys(g[0] for g in got))
        self.assertEqual(firsts, [p for p in publish_order if p in firsts],
                         f"publisher order not kept: {got}")


# --------------------------------------------------------------------------------------------
# State a crash must not lose although no client asked for it to be stored
# --------------------------------------------------------------------------------------------


class RestartStateTest(CrashBrokerTest):
    """kill -9 ends every connection without a word. Afterwards a subscriber's unacknowledged
    QoS 1 messages go again with the packet identifiers it saw and DUP [MQTT-4.4.0-1], and the
    will of a clean session connected at the kill is published once."""

    def raw(self, client_id, level, persistent=False, **kwargs):
        if persistent:
            kwargs["clean"] = False
            if level == 5:
                kwargs["props"] = [(SESSION_EXPIRY_INTERVAL, SESSION_EXPIRY)]
        c = RawClient(self.broker, client_id, level=level, **kwargs)
        c.sock.settimeout(WAIT)
        self.clients.append(c)
        return c

    def receive(self, client, count, ack=False, timeout=WAIT):
        """The next `count` PUBLISH packets as {payload: (Publish, time.monotonic() of
        arrival)}."""
        got = {}
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                pkt = client.read_type(PUBLISH, max(0.0, deadline - time.monotonic()))
            except (TimeoutError, Closed):
                self.fail_with_logs(f"{client.client_id}: {count} messages expected, got {got}")
            m = parse_publish(pkt, client.level)
            got[m.payload] = (m, time.monotonic())
            if ack:
                client.ack(m)
        return got

    def wait_logged(self, pattern):
        deadline = time.monotonic() + WAIT
        while not re.search(pattern, self.broker.log()):
            if time.monotonic() > deadline:
                self.fail_with_logs(f"not logged: {pattern}")
            time.sleep(0.01)

    def stored_sessions(self):
        m = re.search(r"store loaded in \d+ ms: (\d+) session\(s\)", self.broker.log())
        self.assertIsNotNone(m, "no 'store loaded' line\n" + self.broker.dump())
        return int(m.group(1))

    def test_unacknowledged_qos1_resent_with_their_packet_ids_after_kill(self):
        b = self.broker.launch()
        for level in (4, 5):
            with self.subTest(level=level):
                topic = f"ids{level}/t"
                sub_id, pub_id = shard_id(f"ids{level}-sub", 0, SHARDS), f"ids{level}-pub"
                sub = self.raw(sub_id, level, persistent=True)
                self.assertEqual(sub.subscribe([(topic, sub_options(2))]), [2])
                pub = self.raw(pub_id, 4)
                # Acknowledged ones first, so that numbering the messages again from the
                # session's counter would not give the same identifiers by chance.
                for i in range(3):
                    self.assertEqual(pub.publish(topic, f"acked-{i}".encode(), qos=1), 0)
                self.receive(sub, 3, ack=True)
                held = [(b"held-1", 1), (b"held-2", 2), (b"held-3", 1), (b"held-4", 1)]
                for payload, qos in held:  # acknowledged to the publisher: stored
                    self.assertEqual(pub.publish(topic, payload, qos=qos), 0)
                first = {p: m for p, (m, _) in self.receive(sub, len(held)).items()}
                self.assertEqual(sorted(first), sorted(p for p, _ in held))
                self.assertFalse(any(m.dup for m in first.values()))

                self.assertEqual(b.kill(), -signal.SIGKILL)
                b.launch()
                sub = self.raw(sub_id, level, persistent=True)
                self.assertTrue(sub.connack.session_present)
                again = [parse_publish(p, level) for p in sub.sync()]
                for m in again:
                    sub.ack(m)
                # An acknowledgement whose removal was not committed yet may bring a message
                # back (QoS 1 allows it); those it had to send again are the held ones.
                again = [m for m in again if not m.payload.startswith(b"acked-")]
                self.assertEqual(
                    sorted((m.payload, m.qos, m.packet_id, m.dup) for m in again),
                    sorted((p, m.qos, m.packet_id, True) for p, m in first.items()),
                    "unacknowledged messages go again with their packet identifiers and DUP")
                self.assertEqual([m.payload for m in again if m.qos == 1],
                                 [b"held-1", b"held-3", b"held-4"], "in their order")
                self.assertEqual(sub.sync(), [])
        b.stop_gracefully()

    def test_will_of_clean_session_published_once_after_kill(self):
        b = self.broker.launch()
        sub_id = shard_id("cw-sub", 0, SHARDS)
        sub = self.raw(sub_id, 4, persistent=True)
        self.assertEqual(sub.subscribe([("cw/#", sub_options(1))]), [1])

        # A normal DISCONNECT discards the will and its record.
        normal = self.raw(shard_id("cw-normal", 1, SHARDS), 4,
                          will=dict(topic="cw/normal", payload=b"discarded", qos=1))
        normal.send(disconnect())
        self.wait_logged(r"client disconnected: id=cw-normal")
        # Connected at the kill: a 3.1.1 clean session; an MQTT 5 one without session expiry,
        # whose will delay ends with the session, at the kill; a persistent MQTT 5 session whose
        # will waits for its delay after the restart. CONNACK comes once the will is stored, and
        # (same shard) after the removal of the discarded one.
        self.raw(shard_id("cw-v4", 1, SHARDS), 4,
                 will=dict(topic="cw/v4", payload=b"v4 crashed", qos=1))
        self.raw(shard_id("cw-v5", 0, SHARDS), 5,
                 will=dict(topic="cw/v5", payload=b"v5 crashed", qos=1,
                           props=[(WILL_DELAY_INTERVAL, 30)]))
        self.raw(shard_id("cw-delayed", 1, SHARDS), 5, clean=False,
                 props=[(SESSION_EXPIRY_INTERVAL, 60)],
                 will=dict(topic="cw/delayed", payload=b"delayed", qos=1,
                           props=[(WILL_DELAY_INTERVAL, 3)]))
        self.raw("cw-plain", 4)  # no will: nothing stored
        self.assertEqual(sub.sync(), [])

        self.assertEqual(b.kill(), -signal.SIGKILL)
        b.launch()
        started = time.monotonic()
        self.assertEqual(self.stored_sessions(), 4, "the subscriber, two clean wills, one session")
        sub = self.raw(sub_id, 4, persistent=True)
        got = self.receive(sub, 3, ack=True, timeout=WAIT + 5)
        self.assertEqual(sorted(got), [b"delayed", b"v4 crashed", b"v5 crashed"])
        # The restart restored the wills a little before `started`.
        self.assertLess(got[b"v5 crashed"][1] - started, 2.0,
                        "expiry 0: the session ended at the kill, and the will delay with it")
        self.assertGreater(got[b"delayed"][1] - started, 1.5,
                           "the persistent session's will waits for its 3 s delay")
        self.assertEqual(sub.sync(), [], "each will once")
        # A persistent session's SUBACK waits for a commit, which follows the acknowledgements'.
        self.assertEqual(sub.subscribe([("cw/#", sub_options(1))]), [1])

        # Published, their records are gone: no will comes again after another kill.
        self.assertEqual(b.kill(), -signal.SIGKILL)
        b.launch()
        self.assertEqual(self.stored_sessions(), 2, "the subscriber and the persistent session")
        sub = self.raw(sub_id, 4, persistent=True)
        time.sleep(0.5)  # the broker's first tick, which would publish a will left over
        self.assertEqual(sub.sync(), [])
        b.stop_gracefully()


if __name__ == "__main__":
    unittest.main()
