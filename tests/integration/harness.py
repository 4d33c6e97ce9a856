"""Black-box test harness for the `tern` binary.

Everything here is independent of Tern's own codec: packets are built and parsed with `struct`
straight from the MQTT 3.1 / 3.1.1 / 5.0 specifications, so a bug in Tern's encoder or decoder
cannot hide itself by being mirrored in the tests.

Pieces:
  * free_port()                -- a TCP port free on both 127.0.0.1 and ::1
  * Broker                     -- context manager running the real binary (env TERN_BINARY)
  * packet builders            -- connect(), publish(), subscribe(), pingreq(), disconnect(), ...
  * read_packet() and parsers  -- parse_connack(), parse_disconnect(), parse_properties()
  * expect_closed()            -- asserts that the broker closes the socket within a timeout
  * BrokerTestCase             -- unittest base class with MQTT-flavoured assertions
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.join(HERE, "..", "..", "build", "ci", "src", "app", "tern")

# Timeouts in seconds. Everything runs on loopback: answers arrive in well under a millisecond,
# so these are generous upper bounds, not waits.
READ_TIMEOUT = 2.0
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def tern_binary():
    path = os.environ.get("TERN_BINARY") or DEFAULT_BINARY
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"tern binary not found or not executable: {path} (set TERN_BINARY)")
    return path


# --------------------------------------------------------------------------------------------
# Ports and the broker process
# --------------------------------------------------------------------------------------------


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port():
    """A port that is free on 127.0.0.1 and (when IPv6 exists) on ::1 at the time of the call."""
    want_v6 = ipv6_loopback_available()
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
            s4.bind(("127.0.0.1", 0))
            port = s4.getsockname()[1]
            if not want_v6:
                return port
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s6.bind(("::1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port found")


def wait_for_port(port, host="127.0.0.1", timeout=START_TIMEOUT, proc=None, poll=0.01):
    """Polls until a TCP connect to host:port succeeds. Fails early if `proc` exits."""
    deadline = time.monotonic() + timeout
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(0.2)
                s.connect((host, port))
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            if poll:
                time.sleep(poll)


def wait_for_mqtt(port, timeout=START_TIMEOUT, proc=None):
    """Polls until the broker answers a CONNECT with a CONNACK.

    Stronger than an open port: the kernel accepts TCP connections into the backlog as soon as
    tern calls listen(), before it is ready (e.g. before its signal handlers are installed).
    A CONNACK means tern's event loops are running."""
    deadline = time.monotonic() + timeout
    while True:
        if not wait_for_port(port, timeout=max(0.0, deadline - time.monotonic()), proc=proc):
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.sendall(connect(level=4, client_id="harness-probe", keep_alive=1))
                if read_packet(s, timeout=1.0).type == CONNACK:
                    s.sendall(disconnect())
                    return True
        except (OSError, Closed, TimeoutError):
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


class BrokerError(AssertionError):
    pass


class Broker:
    """Runs `tern -p PORT --data-dir TMP [-c TMP/tern.toml] [extra args]`.

    Use as a context manager (or call start()/stop()). start() waits (up to START_TIMEOUT) until
    the port accepts and then until a probe CONNECT gets a CONNACK: an open port alone does not
    mean tern is ready (it listens before it installs its signal handlers, see
    test_04_cli.ShutdownTest.test_sigterm_right_after_startup_is_graceful). The probe shows up in
    the log as client "harness-probe". stop() sends SIGTERM and asserts that the process exits
    with code 0 within STOP_TIMEOUT; the broker's stderr (stdout too) goes to a log file that
    tests read with log() / wait_for_log() and that is dumped on any failure. Set
    TERN_KEEP_LOGS=1 to keep the temporary directory.
    """

    def __init__(self, config=None, args=(), verbose=False, port=None, pass_port=True):
        self.config = config
        self.args = list(args)
        self.verbose = verbose
        self.port = port or free_port()
        self.pass_port = pass_port
        self.proc = None
        self.tmpdir = None
        self.log_path = None
        self.returncode = None
        self._final_log = None

    # -- lifecycle -----------------------------------------------------------------------------

    def command(self):
        cmd = [tern_binary()]
        if self.pass_port:
            cmd += ["-p", str(self.port)]
        cmd += ["--data-dir", os.path.join(self.tmpdir, "data")]
        if self.config is not None:
            cmd += ["-c", self.config_path]
        if self.verbose:
            cmd.append("-v")
        return cmd + self.args

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="tern-it-")
        self.config_path = os.path.join(self.tmpdir, "tern.toml")
        if self.config is not None:
            with open(self.config_path, "w", encoding="utf-8") as f:
                f.write(self.config)
        self.log_path = os.path.join(self.tmpdir, "tern.log")
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=self._log_file)
        if not wait_for_mqtt(self.port, proc=self.proc):
            self._kill()
            message = (f"tern did not answer MQTT on port {self.port} within {START_TIMEOUT} s "
                       f"(exit code {self.proc.returncode})\n" + self.dump())
            self._cleanup()
            raise BrokerError(message)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig`, asserts a zero exit within `timeout`; returns the seconds it took."""
        if self.proc is None:
            return 0.0
        try:
            if self.proc.poll() is not None:
                raise BrokerError(f"tern died during the test with exit code "
                                  f"{self.proc.returncode}\n" + self.dump())
            started = time.monotonic()
            self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise BrokerError(f"tern did not exit within {timeout} s of "
                                  f"{signal.Signals(sig).name}\n" + self.dump())
            if self.returncode != 0:
                raise BrokerError(f"tern exited with code {self.returncode} after "
                                  f"{signal.Signals(sig).name}\n" + self.dump())
            return time.monotonic() - started
        finally:
            self._cleanup()

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.returncode = self.proc.returncode

    def _cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self._kill()
        self.proc = None
        if not self._log_file.closed:
            self._log_file.close()
        self._final_log = self.log()  # the log stays readable after the temp dir is gone
        if self.tmpdir and os.environ.get("TERN_KEEP_LOGS") is None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    # -- logs ----------------------------------------------------------------------------------

    def log(self):
        if self._final_log is not None:
            return self._final_log
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def dump(self):
        return f"----- tern log ({self.log_path}) -----\n{self.log()}\n----- end of log -----"

    def wait_for_log(self, pattern, timeout=READ_TIMEOUT):
        """Returns the first match of regex `pattern` in the log, waiting up to `timeout`.

        The log is written asynchronously by another process, so this polls the file.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log())
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"log line /{pattern}/ not seen within {timeout} s\n"
                                     + self.dump())
            time.sleep(0.02)

    # -- clients -------------------------------------------------------------------------------

    def connect(self, host="127.0.0.1", timeout=READ_TIMEOUT):
        """A raw TCP socket to the broker, with Nagle disabled so each send() is one segment."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        s.connect((host, self.port))
        return s

    def handshake(self, level=4, host="127.0.0.1", **connect_args):
        """Connects, sends CONNECT and returns (socket, Connack); asserts a success CONNACK."""
        s = self.connect(host)
        s.sendall(connect(level=level, **connect_args))
        ack = parse_connack(read_packet(s), level)
        if ack.code != 0:
            s.close()
            raise AssertionError(f"CONNECT (level {level}) refused with code 0x{ack.code:02x}")
        return s, ack


# --------------------------------------------------------------------------------------------
# Packet building (MQTT 3.1 / 3.1.1 / 5.0)
# --------------------------------------------------------------------------------------------

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)

# Property identifiers (MQTT 5.0 section 2.2.2.2) and their data types.
PAYLOAD_FORMAT_INDICATOR = 0x01
MESSAGE_EXPIRY_INTERVAL = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY_INTERVAL = 0x11
ASSIGNED_CLIENT_IDENTIFIER = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTHENTICATION_METHOD = 0x15
AUTHENTICATION_DATA = 0x16
REQUEST_PROBLEM_INFORMATION = 0x17
WILL_DELAY_INTERVAL = 0x18
REQUEST_RESPONSE_INFORMATION = 0x19
RESPONSE_INFORMATION = 0x1A
SERVER_REFERENCE = 0x1C
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
SHARED_SUBSCRIPTION_AVAILABLE = 0x2A

BYTE, U16, U32, VARINT, UTF8, BINARY, PAIR = "byte", "u16", "u32", "varint", "utf8", "bin", "pair"
PROPERTY_TYPES = {
    0x01: BYTE, 0x02: U32, 0x03: UTF8, 0x08: UTF8, 0x09: BINARY, 0x0B: VARINT, 0x11: U32,
    0x12: UTF8, 0x13: U16, 0x15: UTF8, 0x16: BINARY, 0x17: BYTE, 0x18: U32, 0x19: BYTE,
    0x1A: UTF8, 0x1C: UTF8, 0x1F: UTF8, 0x21: U16, 0x22: U16, 0x23: U16, 0x24: BYTE,
    0x25: BYTE, 0x26: PAIR, 0x27: U32, 0x28: BYTE, 0x29: BYTE, 0x2A: BYTE,
}


def varint(n):
    """Variable Byte Integer (MQTT 5.0 1.5.5), minimal encoding."""
    if not 0 <= n <= 268_435_455:
        raise ValueError(f"varint out of range: {n}")
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def u16(n):
    return struct.pack("!H", n)


def u32(n):
    return struct.pack("!I", n)


def utf8(s):
    """UTF-8 Encoded String: 2-byte length then the bytes. `s` may be bytes (for bad UTF-8)."""
    data = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return u16(len(data)) + data


def binary(b):
    data = b.encode("utf-8") if isinstance(b, str) else bytes(b)
    return u16(len(data)) + data


def encode_property(pid, value):
    kind = PROPERTY_TYPES[pid]
    if kind == BYTE:
        body = bytes([value])
    elif kind == U16:
        body = u16(value)
    elif kind == U32:
        body = u32(value)
    elif kind == VARINT:
        body = varint(value)
    elif kind == UTF8:
        body = utf8(value)
    elif kind == BINARY:
        body = binary(value)
    else:
        body = utf8(value[0]) + utf8(value[1])
    return varint(pid) + body


def properties(items=None):
    """A property block: length then properties. `items` is a list of (id, value) pairs (so that
    duplicates can be sent on purpose), a dict, or raw bytes for the content."""
    if items is None:
        content = b""
    elif isinstance(items, (bytes, bytearray)):
        content = bytes(items)
    else:
        pairs = items.items() if isinstance(items, dict) else items
        content = b"".join(encode_property(pid, value) for pid, value in pairs)
    return varint(len(content)) + content


def fixed_header(first_byte, remaining_length):
    return bytes([first_byte]) + varint(remaining_length)


def packet(first_byte, body=b""):
    return fixed_header(first_byte, len(body)) + body


def connect(level=4, client_id="client", clean=True, keep_alive=60, props=None, will=None,
            username=None, password=None, protocol_name=None, flags=None):
    """CONNECT for MQTT 3.1 (level 3, "MQIsdp"), 3.1.1 (level 4) or 5.0 (level 5).

    will: dict(topic=..., payload=b"...", qos=0, retain=False, props=None).
    flags overrides the computed Connect Flags byte. For level 5, `props` is a property list or
    a ready-made block (bytes, length included).
    """
    name = protocol_name if protocol_name is not None else ("MQIsdp" if level == 3 else "MQTT")
    computed = 0
    if clean:
        computed |= 0x02
    if will is not None:
        computed |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
    if password is not None:
        computed |= 0x40
    if username is not None:
        computed |= 0x80
    body = utf8(name) + bytes([level, computed if flags is None else flags]) + u16(keep_alive)
    if level == 5:
        body += props if isinstance(props, (bytes, bytearray)) else properties(props)
    body += utf8(client_id)
    if will is not None:
        if level == 5:
            will_props = will.get("props")
            body += (will_props if isinstance(will_props, (bytes, bytearray))
                     else properties(will_props))
        body += utf8(will["topic"]) + binary(will.get("payload", b""))
    if username is not None:
        body += utf8(username)
    if password is not None:
        body += binary(password)
    return packet(0x10, body)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, packet_id=1, props=None,
            level=4, flags=None):
    first = 0x30 | (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
    if flags is not None:
        first = 0x30 | flags
    body = utf8(topic)
    if (first >> 1) & 0x03:
        body += u16(packet_id)
    if level == 5:
        body += properties(props)
    return packet(first, body + bytes(payload))


def subscribe(packet_id, filters, props=None, level=4, flags=0x02):
    """filters: list of (topic filter, options byte)."""
    body = u16(packet_id)
    if level == 5:
        body += properties(props)
    for topic_filter, options in filters:
        body += utf8(topic_filter) + bytes([options])
    return packet(0x80 | flags, body)


def pingreq():
    return b"\xc0\x00"


def disconnect(reason=None, props=None, level=4):
    """DISCONNECT; for MQTT 5 with an optional reason code and properties."""
    if level != 5 or (reason is None and props is None):
        return b"\xe0\x00"
    body = bytes([reason if reason is not None else 0])
    if props is not None:
        body += properties(props)
    return packet(0xE0, body)


# --------------------------------------------------------------------------------------------
# Reading and parsing what the broker sends
# --------------------------------------------------------------------------------------------


class Closed(Exception):
    """The broker closed the connection (EOF or reset)."""


Packet = namedtuple("Packet", "type flags body")
Connack = namedtuple("Connack", "session_present code props")
Disconnect = namedtuple("Disconnect", "reason props")


def _recv_exactly(sock, n, deadline):
    data = bytearray()
    while len(data) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out after {len(data)} of {n} bytes")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            raise TimeoutError(f"timed out after {len(data)} of {n} bytes") from None
        except (ConnectionResetError, BrokenPipeError) as e:
            raise Closed(f"connection reset ({e}) after {len(data)} of {n} bytes") from None
        if not chunk:
            raise Closed(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def read_packet(sock, timeout=READ_TIMEOUT):
    """Reads exactly one MQTT packet. Raises Closed on EOF/reset, TimeoutError on silence."""
    deadline = time.monotonic() + timeout
    first = _recv_exactly(sock, 1, deadline)[0]
    length, shift = 0, 0
    for i in range(4):
        byte = _recv_exactly(sock, 1, deadline)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if i == 3:
            raise AssertionError("broker sent a remaining length longer than 4 bytes")
    body = _recv_exactly(sock, length, deadline) if length else b""
    return Packet(first >> 4, first & 0x0F, body)


class _Cursor:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise AssertionError(f"packet truncated: need {n} bytes at offset {self.pos} of "
                                 f"{self.data!r}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u32(self):
        return struct.unpack("!I", self.take(4))[0]

    def varint(self):
        value, shift = 0, 0
        for _ in range(4):
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
        raise AssertionError("malformed varint from broker")

    def utf8(self):
        return self.take(self.u16()).decode("utf-8")

    def binary(self):
        return self.take(self.u16())

    def at_end(self):
        return self.pos == len(self.data)


def parse_properties(data):
    """Parses a property block content (no length) into {id: value}; user properties become a
    list of pairs. A repeated non-repeatable property is an error on the broker's side."""
    cur = _Cursor(data)
    props = {}
    while not cur.at_end():
        pid = cur.varint()
        kind = PROPERTY_TYPES.get(pid)
        if kind is None:
            raise AssertionError(f"broker sent unknown property id 0x{pid:02x}")
        value = {BYTE: cur.u8, U16: cur.u16, U32: cur.u32, VARINT: cur.varint, UTF8: cur.utf8,
                 BINARY: cur.binary, PAIR: lambda: (cur.utf8(), cur.utf8())}[kind]()
        if pid == USER_PROPERTY:
            props.setdefault(pid, []).append(value)
        elif pid in props:
            raise AssertionError(f"broker sent property 0x{pid:02x} twice")
        else:
            props[pid] = value
    return props


def _read_property_block(cur):
    length = cur.varint()
    return parse_properties(cur.take(length))


def parse_connack(pkt, level=4):
    if pkt.type != CONNACK:
        raise AssertionError(f"expected CONNACK, got packet type {pkt.type}: {pkt}")
    if pkt.flags != 0:
        raise AssertionError(f"CONNACK with fixed header flags {pkt.flags:#x}")
    cur = _Cursor(pkt.body)
    ack_flags = cur.u8()
    if ack_flags & 0xFE:
        raise AssertionError(f"CONNACK acknowledge flags has reserved bits: {ack_flags:#x}")
    code = cur.u8()
    props = _read_property_block(cur) if level == 5 else {}
    if not cur.at_end():
        raise AssertionError(f"trailing bytes in CONNACK: {pkt.body!r}")
    return Connack(bool(ack_flags & 1), code, props)


def parse_disconnect(pkt):
    if pkt.type != DISCONNECT:
        raise AssertionError(f"expected DISCONNECT, got packet type {pkt.type}: {pkt}")
    if pkt.flags != 0:
        raise AssertionError(f"DISCONNECT with fixed header flags {pkt.flags:#x}")
    if not pkt.body:
        return Disconnect(0, {})
    cur = _Cursor(pkt.body)
    reason = cur.u8()
    props = _read_property_block(cur) if not cur.at_end() else {}
    if not cur.at_end():
        raise AssertionError(f"trailing bytes in DISCONNECT: {pkt.body!r}")
    return Disconnect(reason, props)


def expect_closed(sock, timeout=READ_TIMEOUT):
    """Asserts the broker closes `sock` within `timeout` without sending anything more.

    Returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"broker did not close the connection within {timeout} s")
        sock.settimeout(remaining)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
        if not data:
            return time.monotonic() - started
        raise AssertionError(f"expected the broker to close the connection, got {data!r}")


# --------------------------------------------------------------------------------------------
# unittest support
# --------------------------------------------------------------------------------------------


class BrokerTestCase(unittest.TestCase):
    """Base class. Set CONFIG (TOML text or None) and VERBOSE; one broker serves the class.

    After every test the broker must still accept a fresh MQTT client, and at the end of the
    class it must shut down cleanly on SIGTERM.
    """

    CONFIG = None
    VERBOSE = False
    CHECK_SERVING_AFTER_EACH_TEST = True

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config=cls.CONFIG, verbose=cls.VERBOSE).start()
        cls.addClassCleanup(cls.broker.stop)

    def setUp(self):
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close()
        if self.CHECK_SERVING_AFTER_EACH_TEST:
            self.assert_serving()

    # -- helpers -------------------------------------------------------------------------------

    def raw(self, host="127.0.0.1"):
        s = self.broker.connect(host)
        self.sockets.append(s)
        return s

    def session(self, level=4, **connect_args):
        s, ack = self.broker.handshake(level=level, **connect_args)
        self.sockets.append(s)
        return s, ack

    def assert_serving(self):
        """A fresh 3.1.1 client still gets CONNACK 0 and a PINGRESP."""
        if self.broker.proc.poll() is not None:
            self.fail(f"broker exited with {self.broker.proc.returncode}\n" + self.broker.dump())
        with self.broker.connect() as s:
            s.sendall(connect(level=4, client_id="health-check", keep_alive=1) + pingreq())
            self.assertEqual(parse_connack(read_packet(s)).code, 0)
            self.assertEqual(read_packet(s), Packet(PINGRESP, 0, b""))

    def send_and_expect_connack(self, data, level, code, sock=None):
        s = sock or self.raw()
        s.sendall(data)
        ack = parse_connack(read_packet(s), level)
        self.assertEqual(ack.code, code, f"CONNACK code 0x{ack.code:02x}, expected 0x{code:02x}")
        return s, ack

    def expect_disconnect(self, sock, reason):
        """Reads a DISCONNECT with `reason` (int or collection of ints) and then the close."""
        d = parse_disconnect(read_packet(sock))
        allowed = reason if isinstance(reason, (tuple, list, set)) else (reason,)
        self.assertIn(d.reason, allowed,
                      f"DISCONNECT reason 0x{d.reason:02x}, expected "
                      + " or ".join(f"0x{r:02x}" for r in allowed))
        expect_closed(sock)
        return d

    def expect_closed(self, sock, timeout=READ_TIMEOUT):
        return expect_closed(sock, timeout)
