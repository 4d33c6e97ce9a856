"""The `tern` command line: options, configuration errors, logging and signals."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (Broker, Packet, connect, expect_closed, free_port,
                     parse_connack, parse_disconnect, pingreq, read_packet, tern_binary,
                     wait_for_port)

PINGRESP = Packet(13, 0, b"")


def run_tern(args, timeout=5.0):
    """Runs tern to completion; returns (exit code, stdout, stderr). A tern that keeps running
    (e.g. a bad configuration that was accepted) is killed and reported."""
    proc = subprocess.Popen([tern_binary()] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"tern {' '.join(args)} was still running after {timeout} s; "
                             f"stderr:\n{err.decode(errors='replace')}")
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


class OptionsTest(unittest.TestCase):

    def test_help(self):
        rc, out, err = run_tern(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("--port", out)
        self.assertIn("--config", out)
        self.assertIn("--data-dir", out)
        self.assertEqual(err, "")

    def test_short_help(self):
        rc, out, _ = run_tern(["-h"])
        self.assertEqual(rc, 0)
        self.assertIn("--port", out)

    def test_version(self):
        rc, out, err = run_tern(["--version"])
        self.assertEqual(rc, 0)
        self.assertEqual(out.strip(), "tern 0.1.0")
        self.assertEqual(err, "")

    def assert_usage_error(self, args, *needles):
        rc, out, err = run_tern(args)
        self.assertEqual(rc, 2, f"exit code for {args}; stderr: {err!r}")
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected exactly one stderr line, got {err!r}")
        self.assertTrue(err.endswith("\n"))
        self.assertTrue(lines[0].startswith("tern: error: "), lines[0])
        for needle in needles:
            self.assertIn(needle, lines[0])
        return lines[0]

    def test_unknown_option(self):
        self.assert_usage_error(["--no-such-option"], "--no-such-option")

    def test_unexpected_argument(self):
        self.assert_usage_error(["stray"], "stray")

    def test_port_out_of_range(self):
        self.assert_usage_error(["-p", "65536"], "65536")
        self.assert_usage_error(["--port", "abc"], "abc")

    def test_missing_config_file(self):
        missing = os.path.join(tempfile.gettempdir(), "tern-no-such-dir", "tern.toml")
        self.assert_usage_error(["-c", missing, "-p", str(free_port())], missing)


class CheckConfigTest(unittest.TestCase):
    """tern --check-config FILE validates FILE and the files it names, then exits."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tern-check-")
        self.addCleanup(self.tmp.cleanup)
        self.path = os.path.join(self.tmp.name, "tern.toml")

    def check(self, text):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(text)
        return run_tern(["--check-config", self.path])

    def test_a_valid_file_with_its_password_file(self):
        passwords = os.path.join(self.tmp.name, "passwords")
        rc, _, err = run_tern(["passwd", "-c", "-b", "-I", "1000", passwords, "alice", "pw"])
        self.assertEqual(rc, 0, err)
        port = free_port()
        rc, out, err = self.check(
            f'[auth]\npassword_file = "{passwords}"\n'
            f'[[listeners]]\nport = {port}\n[[listeners]]\naddress = "::1"\nport = {port}\n')
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.strip(), f"{self.path}: valid (2 listener(s))")
        self.assertFalse(wait_for_port(port, timeout=0.2), "--check-config started a listener")

    def test_a_missing_password_file_is_an_error(self):
        missing = os.path.join(self.tmp.name, "no-such-file")
        rc, out, err = self.check(f'[auth]\npassword_file = "{missing}"\n')
        self.assertEqual((rc, out), (1, ""))
        self.assertIn(missing, err)
        self.assertTrue(err.startswith("tern: error: "), err)

    def test_a_damaged_acl_file_is_an_error(self):
        acl = os.path.join(self.tmp.name, "acl")
        with open(acl, "w", encoding="utf-8") as f:
            f.write("topic read a/b\nfrobnicate x\n")
        rc, _, err = self.check(f'[auth]\nacl_file = "{acl}"\n')
        self.assertEqual(rc, 1)
        self.assertIn(f"{acl}:2", err)

    def test_with_config_is_a_usage_error(self):
        rc, out, err = run_tern(["--check-config", os.devnull, "-c", os.devnull])
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("excludes", err)


class ConfigErrorTest(unittest.TestCase):
    """A bad configuration stops tern with exit code 2 and exactly one line
    `tern: error: FILE:LINE: key: why` on stderr."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tern-cfg-")
        self.addCleanup(self.tmp.cleanup)
        self.path = os.path.join(self.tmp.name, "tern.toml")

    def config_error(self, text):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(text)
        rc, out, err = run_tern(["-c", self.path, "-p", str(free_port()),
                                 "--data-dir", os.path.join(self.tmp.name, "data")])
        self.assertEqual(rc, 2, f"stderr: {err!r}")
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected exactly one stderr line, got {err!r}")
        prefix = f"tern: error: {self.path}:"
        self.assertTrue(lines[0].startswith(prefix), f"{lines[0]!r} does not start with {prefix}")
        # --check-config finds the same error, without starting.
        rc, out, err = run_tern(["--check-config", self.path])
        self.assertEqual((rc, out, err.splitlines()), (1, "", lines))
        return lines[0][len(prefix):]

    def assert_error(self, text, line, key, why=None):
        rest = self.config_error(text)
        match = re.match(r"(\d+): ([^:]+): (.+)$", rest)
        self.assertIsNotNone(match, f"not 'LINE: key: why': {rest!r}")
        self.assertEqual(int(match.group(1)), line, rest)
        self.assertEqual(match.group(2), key, rest)
        if why is not None:
            self.assertIn(why, match.group(3))

    def test_max_keep_alive_zero(self):
        self.assert_error("# limits\n\n[limits]\nmax_keep_alive = 0\n", 4,
                          "limits.max_keep_alive", "between 1 and 65535")

    def test_max_keep_alive_not_an_integer(self):
        self.assert_error('[limits]\nconnect_timeout = 5\nmax_keep_alive = "x"\n', 3,
                          "limits.max_keep_alive", "integer")

    def test_max_keep_alive_too_big(self):
        self.assert_error("[limits]\nmax_keep_alive = 65536\n", 2, "limits.max_keep_alive")

    def test_max_packet_size_out_of_range(self):
        self.assert_error("[limits]\nmax_packet_size = 10\n", 2, "limits.max_packet_size")
        self.assert_error("[limits]\nmax_packet_size = 268435461\n", 2,
                          "limits.max_packet_size")

    def test_bad_connect_timeout(self):
        self.assert_error('[limits]\nconnect_timeout = "5 parsecs"\n', 2,
                          "limits.connect_timeout", "5 parsecs")
        self.assert_error("[limits]\nconnect_timeout = 0\n", 2, "limits.connect_timeout")
        self.assert_error("[limits]\nconnect_timeout = -1\n", 2, "limits.connect_timeout")

    def test_bad_log_level(self):
        self.assert_error('[log]\nlevel = "loud"\n', 2, "log.level")

    def test_bad_shards(self):
        self.assert_error("shards = -1\n", 1, "shards")
        self.assert_error("shards = 1.5\n", 1, "shards", "integer")

    def test_unknown_top_level_key(self):
        self.assert_error("shards = 1\nport = 1883\n", 2, "port", "unknown")

    def test_unknown_key_in_table(self):
        self.assert_error("[limits]\nmax_keep_alive = 10\nmax_clients = 5\n", 3,
                          "limits.max_clients", "unknown")

    def test_unknown_key_in_listener(self):
        self.assert_error('[[listeners]]\nport = 1883\n\n[[listeners]]\ntls = true\n', 5,
                          "listeners[1].tls", "unknown")

    def test_unsupported_listener_protocol(self):
        self.assert_error('[[listeners]]\nprotocol = "websockets"\n', 2,
                          "listeners[0].protocol", "websockets")

    def test_wrong_type_for_table(self):
        self.assert_error("log = 3\n", 1, "log")

    def test_listener_address_not_an_ip(self):
        self.assert_error('[[listeners]]\naddress = "localhost"\nport = 1883\n', 2,
                          "listeners[0].address", "localhost")

    def test_toml_syntax_error_names_the_line(self):
        rest = self.config_error("shards = 1\n\n[limits\nmax_keep_alive = 5\n")
        self.assertRegex(rest, r"^3: ")
        rest = self.config_error('[log]\nlevel = "info\n')
        self.assertRegex(rest, r"^2: ")


class ConfiguredBrokerTest(unittest.TestCase):
    """Configuration that is accepted takes effect."""

    def test_listeners_from_config_without_port_option(self):
        port = free_port()
        config = f'[[listeners]]\naddress = "127.0.0.1"\nport = {port}\nprotocol = "mqtt"\n'
        with Broker(config=config, port=port, pass_port=False) as broker:
            s, _ = broker.handshake(level=4, client_id="configured")
            s.close()
            broker.wait_for_log(rf"listening on 127\.0\.0\.1:{port} \(mqtt\)")
            self.assertNotIn("[::1]", broker.log(), "only the configured listener is opened")

    def test_settings_are_reported_at_startup(self):
        config = 'shards = 3\ndata_dir = "ignored-by-cli"\n[limits]\nmax_packet_size = 4096\n'
        with Broker(config=config) as broker:
            broker.wait_for_log(r"starting: 3 shard\(s\), max packet size 4096 bytes")

    def test_log_level_warn_hides_connections(self):
        with Broker(config='[log]\nlevel = "warn"\n') as broker:
            s, _ = broker.handshake(level=4, client_id="quiet")
            s.sendall(connect(level=4, client_id="quiet"))  # protocol error: logged as warning
            expect_closed(s)
            s.close()
            broker.wait_for_log(r"warn\w* +client disconnected: id=quiet ")
            self.assertNotIn("client connected", broker.log())

    def test_verbose_logs_debug(self):
        with Broker(verbose=True) as broker:
            s, _ = broker.handshake(level=4, client_id="chatty")
            s.close()
            broker.wait_for_log(r"debug +connection from 127\.0\.0\.1:\d+ on shard \d+")

    def test_port_in_use_fails_to_start(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            port = blocker.getsockname()[1]
            with tempfile.TemporaryDirectory() as tmp:
                rc, _, err = run_tern(["-p", str(port), "--data-dir", tmp])
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot start", err)


class LogFileTest(unittest.TestCase):
    """[log] file and format: JSON lines in a file that SIGUSR1 reopens (for logrotate)."""

    def test_json_lines_in_a_file_reopened_on_sigusr1(self):
        with tempfile.TemporaryDirectory(prefix="tern-log-") as tmp:
            path = os.path.join(tmp, "tern.log")
            port = free_port()
            config = f'[log]\nformat = "json"\nfile = "{path}"\n'
            config_path = os.path.join(tmp, "tern.toml")
            with open(config_path, "w", encoding="utf-8") as f:
                f.write(config)
            proc = subprocess.Popen([tern_binary(), "-c", config_path, "-p", str(port),
                                     "--data-dir", os.path.join(tmp, "data")],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                self.assertTrue(wait_for_port(port, proc=proc), "tern did not start")
                self.client_session(port, "before-rotation")
                rotated = path + ".1"
                os.rename(path, rotated)
                proc.send_signal(signal.SIGUSR1)
                self.wait_for_line(path, "log file reopened")
                self.client_session(port, "after-rotation")
                self.wait_for_line(path, "id=after-rotation")
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(err, b"", "nothing goes to stderr with a log file")
            old = self.records(rotated)
            new = self.records(path)
            self.assertTrue(any("id=before-rotation" in r["message"] for r in old))
            self.assertFalse(any("after-rotation" in r["message"] for r in old))
            self.assertTrue(any("id=after-rotation" in r["message"] for r in new))
            self.assertEqual(new[-1]["message"], "stopped")
            for r in old + new:
                self.assertEqual(set(r), {"time", "level", "message"})
                self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                self.assertIn(r["level"], {"trace", "debug", "info", "warning", "error",
                                           "critical"})

    @staticmethod
    def client_session(port, client_id):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(connect(level=4, client_id=client_id))
        read_packet(s)
        s.close()

    @staticmethod
    def records(path):
        import json
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    @staticmethod
    def wait_for_line(path, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    if needle in f.read():
                        return
            time.sleep(0.02)
        raise AssertionError(f"{needle!r} not in {path} within {timeout} s")

    def test_bad_log_settings(self):
        with tempfile.TemporaryDirectory(prefix="tern-log-") as tmp:
            config_path = os.path.join(tmp, "tern.toml")
            with open(config_path, "w", encoding="utf-8") as f:
                f.write('[log]\nformat = "xml"\n')
            rc, _, err = run_tern(["--check-config", config_path])
            self.assertEqual(rc, 1)
            self.assertIn(":2: log.format: must be", err)
            with open(config_path, "w", encoding="utf-8") as f:
                f.write(f'[log]\nfile = "{config_path}/tern.log"\n')  # under a file
            rc, _, err = run_tern(["-c", config_path, "-p", str(free_port()),
                                   "--data-dir", os.path.join(tmp, "data")])
            self.assertEqual(rc, 1)
            self.assertIn("cannot open the log file", err)


class LoggingTest(unittest.TestCase):

    def test_client_connected_and_disconnected_lines(self):
        with Broker() as broker:
            for level, name in ((3, "3.1"), (4, "3.1.1"), (5, "5.0")):
                s, _ = broker.handshake(level=level, client_id=f"logged-{level}", keep_alive=42)
                broker.wait_for_log(rf"info +client connected: id=logged-{level} "
                                    rf"address=127\.0\.0\.1:\d+ protocol={re.escape(name)} "
                                    r"keep_alive=42s")
                s.close()
                broker.wait_for_log(rf"client disconnected: id=logged-{level} .*reason=0x")

    def test_startup_lines(self):
        with Broker() as broker:
            broker.wait_for_log(r"tern 0\.1\.0 starting")
            broker.wait_for_log(rf"listening on 127\.0\.0\.1:{broker.port} \(mqtt\)")


class ShutdownTest(unittest.TestCase):

    def shutdown_with_clients(self, sig):
        broker = Broker().start()
        socks = []
        try:
            v5, _ = broker.handshake(level=5, client_id="v5-shutdown")
            v311, _ = broker.handshake(level=4, client_id="v311-shutdown")
            half = broker.connect()
            half.sendall(connect(level=5, client_id="half")[:6])  # CONNECT not complete
            idle = broker.connect()
            socks = [v5, v311, half, idle]
            # Make sure the broker has processed everything before the signal.
            for s in (v5, v311):
                s.sendall(pingreq())
                self.assertEqual(read_packet(s), PINGRESP)
            elapsed = broker.stop(sig)  # asserts exit code 0 within 5 s
            self.assertLess(elapsed, 1.5, "shutdown should be prompt when clients cooperate")
            d = parse_disconnect(read_packet(v5))
            self.assertEqual(d.reason, 0x8B, f"DISCONNECT reason 0x{d.reason:02x}")
            expect_closed(v5)
            expect_closed(v311)
            expect_closed(half)
            expect_closed(idle)
            log = broker.log()
            self.assertIn(f"received {signal.Signals(sig).name}, shutting down", log)
            self.assertRegex(log, r"client disconnected: id=v5-shutdown .*reason=0x8b")
            self.assertRegex(log, r"info +stopped\n")
        finally:
            for s in socks:
                s.close()
            if broker.proc is not None:
                broker.stop()

    def test_sigterm(self):
        self.shutdown_with_clients(signal.SIGTERM)

    def test_sigint(self):
        self.shutdown_with_clients(signal.SIGINT)

    def test_sigterm_with_many_clients_on_several_shards(self):
        broker = Broker(config="shards = 4\n").start()
        socks = []
        try:
            for i in range(100):
                s = broker.connect()
                socks.append(s)
                s.sendall(connect(level=5, client_id=f"many-{i}") + pingreq())
            for s in socks:
                self.assertEqual(parse_connack(read_packet(s), 5).code, 0)
                self.assertEqual(read_packet(s), PINGRESP)
            self.assertLess(broker.stop(signal.SIGTERM), 1.5)
            for i, s in enumerate(socks):
                self.assertEqual(parse_disconnect(read_packet(s)).reason, 0x8B, f"client {i}")
                expect_closed(s)
        finally:
            for s in socks:
                s.close()
            if broker.proc is not None:
                broker.stop()

    def test_sigterm_without_clients(self):
        broker = Broker().start()
        elapsed = broker.stop(signal.SIGTERM)
        self.assertLess(elapsed, 1.5)

    def test_port_is_released_after_shutdown(self):
        broker = Broker().start()
        port = broker.port
        broker.stop()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            with self.assertRaises(ConnectionRefusedError):
                s.connect(("127.0.0.1", port))

    def test_shutdown_is_bounded_with_a_client_that_does_not_read(self):
        broker = Broker().start()
        s = None
        try:
            s, _ = broker.handshake(level=5, client_id="stuck", keep_alive=0)
            # Fill both directions: the broker cannot write its PINGRESPs (or the final
            # DISCONNECT) because this client never reads.
            s.setblocking(False)
            data = pingreq() * 65536
            offset, stalled_since = 0, None
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    offset += s.send(data[offset % len(data):])
                    stalled_since = None
                except BlockingIOError:
                    stalled_since = stalled_since or time.monotonic()
                    if time.monotonic() - stalled_since > 0.3:
                        break
                    time.sleep(0.01)
            broker.stop(signal.SIGTERM, timeout=5.0)
        finally:
            if s is not None:
                s.close()
            if broker.proc is not None:
                broker.stop()

    def test_sigterm_right_after_startup_is_graceful(self):
        # A supervisor may stop the broker as soon as its port accepts connections. tern opens
        # its listening sockets before it installs its SIGTERM/SIGINT handler, so a signal in
        # between kills it with the default action instead of a clean exit 0.
        attempts, failures = 50, []
        for _ in range(attempts):
            with tempfile.TemporaryDirectory() as tmp:
                port = free_port()
                proc = subprocess.Popen([tern_binary(), "-p", str(port), "--data-dir", tmp],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    self.assertTrue(wait_for_port(port, proc=proc, poll=0), "tern did not start")
                    proc.send_signal(signal.SIGTERM)
                    rc = proc.wait(5)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                if rc != 0:
                    failures.append(rc)
        self.assertEqual(failures, [], f"{len(failures)} of {attempts} starts did not exit 0")


if __name__ == "__main__":
    unittest.main()
