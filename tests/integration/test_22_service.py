"""Running Tern as a service: systemd's notification protocol (READY, WATCHDOG, STOPPING), the
Debian package built by CPack (its files, maintainer scripts and a binary that runs), and the
reference configuration docs/tern.toml, which that package installs as /etc/tern/tern.toml."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import free_port, tern_binary, wait_for_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REFERENCE_CONFIG = os.path.join(ROOT, "docs", "tern.toml")


class NotifyTest(unittest.TestCase):
    """Tern started the way systemd starts a Type=notify service with WatchdogSec=."""

    def test_ready_watchdog_pings_and_stopping(self):
        with tempfile.TemporaryDirectory(prefix="tern-notify-") as tmp:
            path = os.path.join(tmp, "notify")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.addCleanup(sock.close)
            sock.bind(path)
            sock.settimeout(10)
            port = free_port()
            env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
            proc = subprocess.Popen([tern_binary(), "-p", str(port), "--data-dir",
                                     os.path.join(tmp, "data")], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            first = sock.recv(4096).decode()
            self.assertIn("READY=1", first.split("\n"))
            # Ready means listening: the port answers now.
            self.assertTrue(wait_for_port(port, timeout=0.5))
            pings = 0
            deadline = time.monotonic() + 5
            while pings < 3 and time.monotonic() < deadline:
                if sock.recv(4096).decode() == "WATCHDOG=1":
                    pings += 1
            self.assertEqual(pings, 3, "no watchdog pings every 100 ms")
            proc.send_signal(signal.SIGTERM)
            messages = []
            while "STOPPING=1" not in messages:
                messages.append(sock.recv(4096).decode())
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 0, err.decode(errors="replace"))
            self.assertIn(b"systemd watchdog: every shard is probed every 100 ms", err)

    def test_without_notify_socket_nothing_changes(self):
        with tempfile.TemporaryDirectory(prefix="tern-notify-") as tmp:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
            proc = subprocess.Popen([tern_binary(), "-p", str(port), "--data-dir",
                                     os.path.join(tmp, "data")], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            self.assertTrue(wait_for_port(port, proc=proc))
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 0)
            self.assertNotIn(b"watchdog", err)
            self.assertNotIn(b"service manager", err)


class ReferenceConfigTest(unittest.TestCase):

    def test_the_reference_and_container_configurations_are_valid(self):
        for path in (REFERENCE_CONFIG, os.path.join(ROOT, "packaging", "docker", "tern.toml")):
            result = subprocess.run([tern_binary(), "--check-config", path],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("valid", result.stdout)


@unittest.skipUnless(shutil.which("cpack") and shutil.which("dpkg-deb"), "cpack/dpkg-deb missing")
class DebianPackageTest(unittest.TestCase):
    """cpack -G DEB on this build: the package a user installs with apt."""

    @classmethod
    def setUpClass(cls):
        build = os.environ.get("TERN_BUILD_DIR")
        if not build:
            raise unittest.SkipTest("TERN_BUILD_DIR is not set (run through ctest)")
        cls.tmp = tempfile.mkdtemp(prefix="tern-deb-")
        result = subprocess.run(["cpack", "-G", "DEB", "--config",
                                 os.path.join(build, "CPackConfig.cmake"), "-B", cls.tmp],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"cpack failed:\n{result.stdout}\n{result.stderr}")
        debs = [f for f in os.listdir(cls.tmp) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(cls.tmp, debs[0])
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)
        cls.control = os.path.join(cls.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True,
                              text=True, check=True).stdout.strip()

    def test_files_are_where_debian_expects_them(self):
        for path in ("usr/bin/tern", "etc/tern/tern.toml", "lib/systemd/system/tern.service",
                     "usr/share/doc/tern/README.md"):
            self.assertTrue(os.path.isfile(os.path.join(self.root, path)), path)
        self.assertEqual(self.field("Package"), "tern")
        depends = self.field("Depends")
        for library in ("libssl3", "librocksdb7.8", "libsystemd0", "passwd"):
            self.assertIn(library, depends)

    def test_the_packaged_binary_runs_and_accepts_the_packaged_configuration(self):
        binary = os.path.join(self.root, "usr/bin/tern")
        version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                 timeout=10)
        self.assertEqual(version.returncode, 0)
        self.assertTrue(version.stdout.startswith("tern "))
        check = subprocess.run([binary, "--check-config",
                                os.path.join(self.root, "etc/tern/tern.toml")],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stderr)

    def test_configuration_is_a_conffile_and_scripts_handle_the_service(self):
        with open(os.path.join(self.control, "conffiles"), encoding="utf-8") as f:
            self.assertIn("/etc/tern/tern.toml", f.read().split())
        with open(os.path.join(self.control, "postinst"), encoding="utf-8") as f:
            postinst = f.read()
        self.assertIn("useradd --system", postinst)
        self.assertIn("deb-systemd-helper enable tern.service", postinst)
        for script in ("postinst", "prerm", "postrm"):
            mode = os.stat(os.path.join(self.control, script)).st_mode
            self.assertTrue(mode & 0o111, f"{script} is not executable")
            result = subprocess.run(["sh", "-n", os.path.join(self.control, script)])
            self.assertEqual(result.returncode, 0, f"{script}: shell syntax error")

    def test_the_unit_is_type_notify_with_watchdog(self):
        with open(os.path.join(self.root, "lib/systemd/system/tern.service"),
                  encoding="utf-8") as f:
            unit = f.read()
        for line in ("Type=notify", "WatchdogSec=30", "User=tern", "StateDirectory=tern",
                     "ExecStart=/usr/bin/tern -c /etc/tern/tern.toml --data-dir /var/lib/tern"):
            self.assertIn(line + "\n", unit)
        analyze = shutil.which("systemd-analyze")
        if analyze:
            # Offline check of the unit's syntax (the binary it names is not installed here).
            result = subprocess.run([analyze, "verify", os.path.join(
                self.root, "lib/systemd/system/tern.service")], capture_output=True, text=True,
                timeout=60)
            self.assertNotIn("Unknown key", result.stderr)
            self.assertNotIn("Unknown section", result.stderr)
            self.assertNotIn("Failed to parse", result.stderr)


if __name__ == "__main__":
    unittest.main()
