"""Client-side helpers for the publish/subscribe integration tests (test_05 .. test_11).

  * owner_shard() / shard_id()  -- which shard hosts a client identifier (libstdc++'s
                                   std::hash<std::string_view>), to place clients on purpose
  * PahoClient                  -- a synchronous wrapper around paho-mqtt 1.6 (3.1, 3.1.1, 5.0)
  * RawClient                   -- a raw-socket client built on harness.py's packet builders
  * parse_publish(), parse_suback(), parse_ack() and more packet builders
  * mosquitto_pub() / MosquittoSub -- the mosquitto command line clients

Waiting is always "until a message arrives or WAIT seconds pass"; a test that must show that
something did NOT arrive publishes a barrier message after it from the same publisher (per
publisher order is kept [MQTT-4.6.0-5, -6]) and checks what came before the barrier, or, for raw
clients, sends PINGREQ and checks what came before PINGRESP.
"""

import os
import queue
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from collections import deque, namedtuple

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCodes
from paho.mqtt.subscribeoptions import SubscribeOptions

from harness import (PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, UNSUBACK,
                     BrokerTestCase, _Cursor, connect, packet, parse_connack, parse_properties,
                     pingreq, properties, publish, read_packet, subscribe, u16, utf8)

# Upper bound for anything that is expected to arrive (loopback: it takes milliseconds).
WAIT = 3.0

# Two shards in every broker of these tests, so that routing crosses shards.
SHARDS_CONFIG = "shards = 2\n"
SHARDS = 2

PROTOCOLS = {3: mqtt.MQTTv31, 4: mqtt.MQTTv311, 5: mqtt.MQTTv5}
LEVEL_NAMES = {3: "3.1", 4: "3.1.1", 5: "5.0"}


# --------------------------------------------------------------------------------------------
# Shard placement
# --------------------------------------------------------------------------------------------

_MASK = (1 << 64) - 1


def _shift_mix(v):
    return v ^ (v >> 47)


def stdlib_hash(text):
    """libstdc++'s std::hash<std::string_view> on 64-bit little-endian (std::_Hash_bytes,
    seed 0xc70f6907), which Tern uses to pick the shard that hosts a client identifier."""
    data = text.encode("utf-8")
    mul = (0xC6A4A793 << 32) + 0x5BD1E995
    length = len(data)
    aligned = length & ~7
    h = (0xC70F6907 ^ ((length * mul) & _MASK)) & _MASK
    for i in range(0, aligned, 8):
        word = int.from_bytes(data[i:i + 8], "little")
        h ^= (_shift_mix((word * mul) & _MASK) * mul) & _MASK
        h = (h * mul) & _MASK
    if length & 7:
        h ^= int.from_bytes(data[aligned:], "little")
        h = (h * mul) & _MASK
    h = (_shift_mix(h) * mul) & _MASK
    return _shift_mix(h)


def owner_shard(client_id, shards=SHARDS):
    return stdlib_hash(client_id) % shards


def shard_id(prefix, shard, shards=SHARDS):
    """The first of prefix, prefix-1, prefix-2, ... that shard `shard` hosts."""
    i = 0
    while True:
        candidate = prefix if i == 0 else f"{prefix}-{i}"
        if owner_shard(candidate, shards) == shard:
            return candidate
        i += 1


# --------------------------------------------------------------------------------------------
# paho-mqtt
# --------------------------------------------------------------------------------------------


def paho_properties(packet_type, **values):
    """Properties(packet_type) with the given attributes (e.g. UserProperty=[("k", "v")])."""
    props = Properties(packet_type)
    for name, value in values.items():
        setattr(props, name, value)
    return props


def user_properties(msg):
    return list(getattr(msg.properties, "UserProperty", []) or [])


class PahoClient:
    """paho-mqtt with a background network thread, made synchronous for tests.

    Received messages go to a queue read with get() / get_many() / until(). Automatic
    reconnection is off so that a dropped or taken-over client stays down.
    """

    def __init__(self, port, client_id, level=4, clean=True, session_expiry=None, will=None,
                 connect_props=None, keepalive=30, connect=True, expect_code=0, tls=None,
                 username=None, password=None, source_address="", transport="tcp",
                 ws_path="/mqtt"):
        self.port = port
        self.source_address = source_address
        self.client_id = client_id
        self.level = level
        self.messages = queue.Queue()
        self._cond = threading.Condition()
        self._acks = {}            # mid -> SUBACK/UNSUBACK result
        self.connack = None        # (session_present, code, properties)
        self.disconnect_code = None
        self._connected = threading.Event()
        self._disconnected = threading.Event()
        # transport="websockets": MQTT over WebSocket on ws_path (tls= makes it wss).
        if level == 5:
            self.client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5,
                                      reconnect_on_failure=False, transport=transport)
        else:
            self.client = mqtt.Client(client_id=client_id, clean_session=clean,
                                      protocol=PROTOCOLS[level], reconnect_on_failure=False,
                                      transport=transport)
        c = self.client
        if transport == "websockets":
            c.ws_set_options(path=ws_path)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = lambda client, userdata, msg: self.messages.put(msg)
        c.on_subscribe = self._on_subscribe
        c.on_unsubscribe = self._on_unsubscribe
        if tls is not None:  # keyword arguments of paho's tls_set (ca_certs, certfile, keyfile)
            c.tls_set(**tls)
        if username is not None:
            c.username_pw_set(username, password)
        if will is not None:
            will_props = will.get("props")
            if isinstance(will_props, dict):
                will_props = paho_properties(PacketTypes.WILLMESSAGE, **will_props)
            c.will_set(will["topic"], will.get("payload", b""), will.get("qos", 0),
                       will.get("retain", False), properties=will_props)
        self._clean = clean
        self._session_expiry = session_expiry
        self._connect_props = connect_props or {}
        self._keepalive = keepalive
        if connect:
            self.connect(expect_code=expect_code)

    # -- callbacks (network thread) --------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, rc, props=None):
        code = rc.value if hasattr(rc, "value") else rc
        self.connack = (bool(flags.get("session present")), code, props)
        self._connected.set()

    def _on_disconnect(self, client, userdata, rc, props=None):
        self.disconnect_code = rc.value if hasattr(rc, "value") else rc
        self._disconnected.set()

    def _on_subscribe(self, client, userdata, mid, granted, props=None):
        codes = [g.value if hasattr(g, "value") else g for g in granted]
        with self._cond:
            self._acks[mid] = codes
            self._cond.notify_all()

    def _on_unsubscribe(self, client, userdata, mid, props=None, reasons=None):
        if isinstance(reasons, ReasonCodes):
            reasons = [reasons]
        codes = [r.value for r in reasons] if reasons is not None else []
        with self._cond:
            self._acks[mid] = codes
            self._cond.notify_all()

    def _wait_ack(self, mid, what):
        with self._cond:
            if not self._cond.wait_for(lambda: mid in self._acks, WAIT):
                raise AssertionError(f"{self.client_id}: no {what} within {WAIT} s")
            return self._acks.pop(mid)

    # -- connection ------------------------------------------------------------------------------

    def connect(self, expect_code=0):
        kwargs = {}
        if self.level == 5:
            props = dict(self._connect_props)
            if self._session_expiry is not None:
                props["SessionExpiryInterval"] = self._session_expiry
            if props:
                kwargs["properties"] = paho_properties(PacketTypes.CONNECT, **props)
            kwargs["clean_start"] = self._clean
        self._connected.clear()
        self._disconnected.clear()
        self.client.connect("127.0.0.1", self.port, keepalive=self._keepalive,
                            bind_address=self.source_address, **kwargs)
        self.client.loop_start()
        if not self._connected.wait(WAIT):
            self.client.loop_stop()
            raise AssertionError(f"{self.client_id}: no CONNACK within {WAIT} s")
        if expect_code is not None and self.connack[1] != expect_code:
            self.client.loop_stop()
            raise AssertionError(f"{self.client_id}: CONNACK code {self.connack[1]:#x}, "
                                 f"expected {expect_code:#x}")
        return self.connack

    @property
    def session_present(self):
        return self.connack[0]

    def disconnect(self, reasoncode=None, props=None):
        """Sends DISCONNECT (v5: optionally with a reason code number and properties)."""
        kwargs = {}
        if reasoncode is not None:
            kwargs["reasoncode"] = ReasonCodes(PacketTypes.DISCONNECT, identifier=reasoncode)
        if props is not None:
            kwargs["properties"] = paho_properties(PacketTypes.DISCONNECT, **props)
        self.client.disconnect(**kwargs)
        self._disconnected.wait(WAIT)
        self.client.loop_stop()

    def drop(self):
        """Closes the socket without DISCONNECT (as a crashed client would)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def wait_disconnected(self, timeout=WAIT):
        """Waits until the broker closed the connection; returns paho's disconnect code."""
        if not self._disconnected.wait(timeout):
            raise AssertionError(f"{self.client_id}: still connected after {timeout} s")
        return self.disconnect_code

    def close(self):
        """Cleanup: disconnect if still connected, stop the thread."""
        try:
            if self.client.is_connected():
                self.disconnect()
        finally:
            self.client.loop_stop()

    # -- subscribe / publish ---------------------------------------------------------------------

    def subscribe(self, topic, qos=0, no_local=False, retain_as_published=False,
                  retain_handling=0, sub_id=None):
        """SUBSCRIBE to one filter or a list of (filter, qos) pairs; returns the SUBACK codes."""
        kwargs = {}
        if self.level == 5:
            if sub_id is not None:
                kwargs["properties"] = paho_properties(PacketTypes.SUBSCRIBE,
                                                       SubscriptionIdentifier=sub_id)
            if isinstance(topic, list):
                topic = [(t, SubscribeOptions(qos=q, noLocal=no_local,
                                              retainAsPublished=retain_as_published,
                                              retainHandling=retain_handling))
                         for t, q in topic]
            else:
                kwargs["options"] = SubscribeOptions(qos=qos, noLocal=no_local,
                                                     retainAsPublished=retain_as_published,
                                                     retainHandling=retain_handling)
        elif not isinstance(topic, list):
            kwargs["qos"] = qos
        rc, mid = self.client.subscribe(topic, **kwargs)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"{self.client_id}: subscribe failed locally: {rc}")
        return self._wait_ack(mid, "SUBACK")

    def unsubscribe(self, *topics):
        rc, mid = self.client.unsubscribe(list(topics) if len(topics) > 1 else topics[0])
        if rc != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"{self.client_id}: unsubscribe failed locally: {rc}")
        return self._wait_ack(mid, "UNSUBACK")

    def publish(self, topic, payload=b"", qos=0, retain=False, props=None, wait=True):
        """PUBLISH; with wait, returns once the QoS 1/2 exchange completed (or QoS 0 was sent).
        props: dict of paho property names to values (v5)."""
        properties_ = paho_properties(PacketTypes.PUBLISH, **props) if props else None
        info = self.client.publish(topic, payload, qos=qos, retain=retain,
                                   properties=properties_)
        if wait:
            info.wait_for_publish(WAIT)
            if not info.is_published():
                raise AssertionError(f"{self.client_id}: PUBLISH {topic!r} (QoS {qos}) not "
                                     f"acknowledged within {WAIT} s")
        return info

    # -- receiving -------------------------------------------------------------------------------

    def get(self, timeout=WAIT):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: no message within {timeout} s") from None

    def get_many(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            try:
                out.append(self.messages.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(
                    f"{self.client_id}: {len(out)} of {n} messages within {timeout} s: "
                    f"{[(m.topic, m.payload) for m in out]}") from None
        return out

    def until(self, barrier_topic, timeout=WAIT):
        """Messages received before the first one on `barrier_topic` (which is consumed)."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            try:
                msg = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{self.client_id}: barrier {barrier_topic!r} not received within "
                    f"{timeout} s; got {[(m.topic, m.payload) for m in out]}") from None
            if msg.topic == barrier_topic:
                return out
            out.append(msg)

    def pending(self):
        """Messages already received and not yet read (no waiting)."""
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out


# --------------------------------------------------------------------------------------------
# Raw packets
# --------------------------------------------------------------------------------------------

Publish = namedtuple("Publish", "topic payload qos dup retain packet_id props")


def parse_publish(pkt, level=4):
    if pkt.type != PUBLISH:
        raise AssertionError(f"expected PUBLISH, got packet type {pkt.type}: {pkt}")
    qos = (pkt.flags >> 1) & 3
    if qos == 3:
        raise AssertionError(f"PUBLISH with QoS 3: {pkt}")
    cur = _Cursor(pkt.body)
    topic = cur.utf8()
    packet_id = cur.u16() if qos else None
    props = parse_properties(cur.take(cur.varint())) if level == 5 else {}
    payload = cur.data[cur.pos:]
    return Publish(topic, bytes(payload), qos, bool(pkt.flags & 8), bool(pkt.flags & 1),
                   packet_id, props)


def parse_suback(pkt, level=4, kind=SUBACK):
    """(packet id, [reason codes], properties) of a SUBACK or UNSUBACK."""
    if pkt.type != kind:
        raise AssertionError(f"expected packet type {kind}, got {pkt.type}: {pkt}")
    cur = _Cursor(pkt.body)
    packet_id = cur.u16()
    props = parse_properties(cur.take(cur.varint())) if level == 5 else {}
    return packet_id, list(cur.data[cur.pos:]), props


def parse_ack(pkt, kind, level=4):
    """(packet id, reason code, properties) of PUBACK/PUBREC/PUBREL/PUBCOMP."""
    if pkt.type != kind:
        raise AssertionError(f"expected packet type {kind}, got {pkt.type}: {pkt}")
    expected_flags = 2 if kind == PUBREL else 0
    if pkt.flags != expected_flags:
        raise AssertionError(f"packet type {kind} with flags {pkt.flags:#x}")
    cur = _Cursor(pkt.body)
    packet_id = cur.u16()
    reason = cur.u8() if not cur.at_end() else 0
    props = parse_properties(cur.take(cur.varint())) if not cur.at_end() else {}
    return packet_id, reason, props


def ack_packet(kind, packet_id, reason=None, level=4):
    body = u16(packet_id)
    if level == 5 and reason is not None:
        body += bytes([reason])
    return packet((kind << 4) | (2 if kind == PUBREL else 0), body)


def unsubscribe_packet(packet_id, filters, level=4):
    body = u16(packet_id)
    if level == 5:
        body += properties(None)
    for topic_filter in filters:
        body += utf8(topic_filter)
    return packet(0xA2, body)


def sub_options(qos=0, no_local=False, retain_as_published=False, retain_handling=0):
    return qos | (4 if no_local else 0) | (8 if retain_as_published else 0) | (retain_handling << 4)


class RawClient:
    """A connected raw socket with a little bookkeeping. Packets read while waiting for a
    specific one are kept, in order, for later reads."""

    def __init__(self, broker, client_id, level=4, rcvbuf=None, **connect_args):
        self.broker = broker
        self.level = level
        self.client_id = client_id
        if rcvbuf is None:
            self.sock, self.connack = broker.handshake(level=level, client_id=client_id,
                                                       **connect_args)
        else:
            # A small receive buffer, set before connecting so that the TCP window stays small:
            # the broker then sees a slow reader quickly.
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.settimeout(WAIT)
            self.sock.connect(("127.0.0.1", broker.port))
            self.sock.sendall(connect(level=level, client_id=client_id, **connect_args))
            self.connack = parse_connack(read_packet(self.sock), level)
            assert self.connack.code == 0, f"CONNACK {self.connack.code:#x}"
        self.backlog = deque()
        self._next_id = 1

    def next_id(self):
        pid = self._next_id
        self._next_id = pid % 65535 + 1
        return pid

    def send(self, data):
        self.sock.sendall(data)

    def read(self, timeout=WAIT):
        if self.backlog:
            return self.backlog.popleft()
        return read_packet(self.sock, timeout)

    def read_type(self, kind, timeout=WAIT):
        """The next packet of type `kind`; others read meanwhile stay in the backlog."""
        for i, pkt in enumerate(self.backlog):
            if pkt.type == kind:
                del self.backlog[i]
                return pkt
        deadline = time.monotonic() + timeout
        while True:
            pkt = read_packet(self.sock, max(0.0, deadline - time.monotonic()))
            if pkt.type == kind:
                return pkt
            self.backlog.append(pkt)

    def subscribe(self, filters, props=None):
        """filters: list of (filter, options byte); returns the SUBACK reason codes."""
        pid = self.next_id()
        self.send(subscribe(pid, filters, props=props, level=self.level))
        got_id, codes, _ = parse_suback(self.read_type(SUBACK), self.level)
        assert got_id == pid, f"SUBACK for packet id {got_id}, expected {pid}"
        return codes

    def unsubscribe(self, filters):
        pid = self.next_id()
        self.send(unsubscribe_packet(pid, filters, self.level))
        got_id, codes, _ = parse_suback(self.read_type(UNSUBACK), self.level, UNSUBACK)
        assert got_id == pid, f"UNSUBACK for packet id {got_id}, expected {pid}"
        return codes

    def publish(self, topic, payload=b"", qos=0, retain=False, props=None, packet_id=None,
                dup=False):
        """PUBLISH and complete its QoS flow; returns the reason code of PUBACK / PUBREC."""
        pid = packet_id if packet_id is not None else (self.next_id() if qos else 1)
        self.send(publish(topic, payload, qos=qos, retain=retain, dup=dup, packet_id=pid,
                          props=props, level=self.level))
        if qos == 0:
            return 0
        if qos == 1:
            got, reason, _ = parse_ack(self.read_type(PUBACK), PUBACK, self.level)
            assert got == pid, f"PUBACK for {got}, expected {pid}"
            return reason
        got, reason, _ = parse_ack(self.read_type(PUBREC), PUBREC, self.level)
        assert got == pid, f"PUBREC for {got}, expected {pid}"
        if reason >= 0x80:
            return reason
        self.send(ack_packet(PUBREL, pid, level=self.level))
        got, comp_reason, _ = parse_ack(self.read_type(PUBCOMP), PUBCOMP, self.level)
        assert got == pid and comp_reason == 0, f"PUBCOMP {got} reason {comp_reason:#x}"
        return reason

    def expect_publish(self, timeout=WAIT):
        return parse_publish(self.read_type(PUBLISH, timeout), self.level)

    def ack(self, pub):
        """Acknowledges a received PUBLISH completely (QoS 2: PUBREC, PUBREL, PUBCOMP)."""
        if pub.qos == 1:
            self.send(ack_packet(PUBACK, pub.packet_id, level=self.level))
        elif pub.qos == 2:
            self.send(ack_packet(PUBREC, pub.packet_id, level=self.level))
            got, _, _ = parse_ack(self.read_type(PUBREL), PUBREL, self.level)
            assert got == pub.packet_id
            self.send(ack_packet(PUBCOMP, pub.packet_id, level=self.level))

    def sync(self, timeout=WAIT):
        """PINGREQ; returns every packet that arrived before the PINGRESP."""
        self.send(pingreq())
        before = list(self.backlog)
        self.backlog.clear()
        deadline = time.monotonic() + timeout
        while True:
            pkt = read_packet(self.sock, max(0.0, deadline - time.monotonic()))
            if pkt.type == PINGRESP:
                return before
            before.append(pkt)

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------------------------------
# mosquitto_pub / mosquitto_sub
# --------------------------------------------------------------------------------------------

HAVE_MOSQUITTO = bool(shutil.which("mosquitto_pub") and shutil.which("mosquitto_sub"))
MOSQUITTO_VERSIONS = {3: "31", 4: "311", 5: "5"}


def mosquitto_pub(port, topic, message, level=4, qos=0, retain=False, client_id=None,
                  extra=()):
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", MOSQUITTO_VERSIONS[level],
           "-t", topic, "-m", message, "-q", str(qos)]
    if retain:
        cmd.append("-r")
    if client_id:
        cmd += ["-i", client_id]
    result = subprocess.run(cmd + list(extra), capture_output=True, timeout=WAIT + 2)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited with {result.returncode}: "
                             f"{result.stderr.decode(errors='replace')}")


class MosquittoSub:
    """mosquitto_sub -C count; start() returns once the SUBACK arrived (from its -d output).
    Message lines are printed as "MSG <qos> <retain> <topic> <payload>"."""

    def __init__(self, port, topic, count, level=4, qos=0, client_id=None):
        self.cmd = ["stdbuf", "-oL", "mosquitto_sub", "-d", "-h", "127.0.0.1", "-p", str(port),
                    "-V", MOSQUITTO_VERSIONS[level], "-t", topic, "-q", str(qos),
                    "-C", str(count), "-F", "MSG %q %r %t %p"]
        if client_id:
            self.cmd += ["-i", client_id]
        self.proc = None
        self.output = b""

    def _read_until(self, predicate, deadline):
        while not predicate(self.output):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                return False
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return predicate(self.output)
            self.output += chunk
        return True

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not self._read_until(lambda out: b"received SUBACK" in out, time.monotonic() + WAIT):
            self.stop()
            raise AssertionError("mosquitto_sub got no SUBACK:\n"
                                 + self.output.decode(errors="replace"))
        return self

    def messages(self, timeout=WAIT):
        """Waits for the process to exit (after -C messages); returns [(qos, retain, topic,
        payload)]."""
        deadline = time.monotonic() + timeout
        self._read_until(lambda out: False, deadline)  # reads to EOF or the deadline
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError("mosquitto_sub did not exit after its message count:\n"
                                 + self.output.decode(errors="replace")) from None
        self.proc.stdout.close()
        out = []
        for line in self.output.decode(errors="replace").splitlines():
            if line.startswith("MSG "):
                _, q, r, topic, payload = line.split(" ", 4)
                out.append((int(q), int(r), topic, payload))
        return out

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()


# --------------------------------------------------------------------------------------------
# unittest base class
# --------------------------------------------------------------------------------------------


class PubSubTestCase(BrokerTestCase):
    """A 2-shard broker per class; clients made with paho() / raw() are closed after each test."""

    CONFIG = SHARDS_CONFIG

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's own failure
                pass
        super().tearDown()

    def paho(self, client_id, level=4, **kwargs):
        c = PahoClient(self.broker.port, client_id, level=level, **kwargs)
        self.clients.append(c)
        return c

    def rawc(self, client_id, level=4, **connect_args):
        c = RawClient(self.broker, client_id, level=level, **connect_args)
        self.clients.append(c)
        return c

    def wait_gone(self, client_id, times=1, timeout=WAIT):
        """Waits until the broker has logged the end of `times` connections of `client_id`:
        the log line follows the detach from the session (will and expiry handling)."""
        pattern = re.compile(rf"client disconnected: id={re.escape(client_id)} ")
        deadline = time.monotonic() + timeout
        while len(pattern.findall(self.broker.log())) < times:
            if time.monotonic() > deadline:
                raise AssertionError(f"{client_id}: {times} disconnect(s) not logged within "
                                     f"{timeout} s\n" + self.broker.dump())
            time.sleep(0.01)  # polls the log file another process writes

    def ids(self, prefix, count=2):
        """`count` client identifiers on alternating shards: shard 0, shard 1, shard 0, ..."""
        return [shard_id(f"{prefix}-{i}", i % SHARDS) for i in range(count)]
