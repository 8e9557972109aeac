"""The Linux test guest's artifacts (tools/linux_guest.py, tests/linux/),
checked without Keel: they build reproducibly, and Debian's cloud kernel
boots them directly under QEMU/TCG, passes every check of /init, serves a
shell on the console and powers off on the ACPI power button. A second boot
with wrong expectations proves the checks can fail. This is the reference
for the same guest under Keel.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pexpect
import pytest

import emu  # tools/emu.py, put on sys.path by conftest.py

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "linux_guest.py")
PYTHON = "/usr/bin/python3"
OUTPUTS = ("vmlinuz", "initrd.img", "disk.img", "linux-guest.json")
CPUS = 2
MEM_MIB = 256
RATE_SECS = 3
# Seconds, before KEEL_TIMEOUT_SCALE. Measured under TCG on the 2-core
# build machine: /init runs ~4 s after QEMU starts, the checks take ~5 s
# (3 of them measuring the clock), power-off takes under a second.
BUILD_TIMEOUT = 300      # a first build downloads the kernel package
CHECKS_TIMEOUT = 60
SHELL_TIMEOUT = 15
POWEROFF_TIMEOUT = 30
MONITOR_CONNECT_SECONDS = 5


def scaled(seconds):
    return seconds * emu.timeout_scale()


def run_tool(outdir):
    proc = subprocess.run([PYTHON, TOOL, outdir], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=scaled(BUILD_TIMEOUT))
    text = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, "linux_guest.py %s failed:\n%s" % (outdir, text)
    return text


@pytest.fixture(scope="module")
def artifacts(pytestconfig):
    """build/linux (beside the Keel image), as `make linux` builds it."""
    build = os.path.dirname(os.path.abspath(pytestconfig.getoption("--keel-image")))
    outdir = os.path.join(build, "linux")
    run_tool(outdir)
    with open(os.path.join(outdir, "linux-guest.json")) as f:
        return outdir, json.load(f)


@pytest.fixture
def workdir(pytestconfig, request):
    path = os.path.join(pytestconfig.getoption("--keel-workdir"), "linux-" + request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


class Guest:
    """QEMU booting the artifacts directly, its serial console on a pty and
    its human monitor on a Unix socket (for system_powerdown)."""

    def __init__(self, outdir, workdir, cmdline, rng=True):
        # A short directory of its own: Unix socket paths are limited to 108 bytes.
        self.sockdir = tempfile.mkdtemp(prefix="keel-linux-")
        self.monitor = os.path.join(self.sockdir, "monitor")
        argv = ["-accel", "tcg", "-smp", str(CPUS), "-m", str(MEM_MIB), "-nographic",
                "-no-reboot", "-kernel", os.path.join(outdir, "vmlinuz"),
                "-initrd", os.path.join(outdir, "initrd.img"), "-append", cmdline,
                "-drive", "file=%s,if=virtio,format=raw,snapshot=on"
                % os.path.join(outdir, "disk.img"),
                "-monitor", "unix:%s,server=on,wait=off" % self.monitor]
        if rng:
            argv += ["-device", "virtio-rng-pci"]
        self.log = open(os.path.join(workdir, "console.log"), "w")
        self.started = time.monotonic()
        self.child = pexpect.spawn(emu.QEMU, argv, encoding="utf-8", codec_errors="replace",
                                   logfile=self.log, timeout=scaled(CHECKS_TIMEOUT),
                                   preexec_fn=emu._die_with_parent)  # no QEMU outlives the run

    def expect(self, pattern, timeout):
        try:
            self.child.expect(pattern, timeout=scaled(timeout))
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            what = "timed out" if isinstance(e, pexpect.TIMEOUT) else "QEMU exited"
            pytest.fail("%s waiting for %r; console (see %s):\n%s"
                        % (what, pattern, self.log.name, self.child.before[-3000:]),
                        pytrace=False)
        return self.child.match

    def checks(self):
        """Run to the summary line: (KEEL-CHECK lines as {name: line},
        summary, seconds from QEMU's start to /init)."""
        self.expect(r"KEEL-INIT-REACHED uptime=[0-9.]+", CHECKS_TIMEOUT)
        to_init = time.monotonic() - self.started
        # Up to the line's end: output arrives in pieces.
        self.expect(r"(KEEL-LINUX: [^\r\n]*)\r*\n", CHECKS_TIMEOUT)
        summary = self.child.match.group(1).strip()
        lines = {}
        for line in self.child.before.splitlines():
            if line.startswith("KEEL-CHECK "):
                lines[line.split()[1]] = line.strip()
        return lines, summary, to_init

    def powerdown(self):
        """Press the ACPI power button through QEMU's monitor."""
        deadline = time.monotonic() + MONITOR_CONNECT_SECONDS
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.monitor)
                    s.sendall(b"system_powerdown\n")
                    time.sleep(0.5)  # let the monitor read it before the close
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()
        self.log.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)


@pytest.fixture
def guest_factory(artifacts, workdir):
    guests = []

    def start(cmdline, rng=True):
        guests.append(Guest(artifacts[0], workdir, cmdline, rng))
        return guests[-1]

    yield start
    for g in guests:
        g.stop()


def test_build_is_reproducible_and_incremental(artifacts, tmp_path):
    outdir, meta = artifacts
    stamps = {n: os.stat(os.path.join(outdir, n)).st_mtime_ns for n in OUTPUTS}
    out = run_tool(outdir)
    assert "LINUX" not in out, "an unchanged rebuild rewrote outputs:\n" + out
    assert stamps == {n: os.stat(os.path.join(outdir, n)).st_mtime_ns for n in OUTPUTS}
    other = str(tmp_path / "again")
    run_tool(other)
    for name in OUTPUTS:
        with open(os.path.join(outdir, name), "rb") as a, \
                open(os.path.join(other, name), "rb") as b:
            assert a.read() == b.read(), "%s differs between two builds" % name
    assert meta["kernel_version"].endswith("-cloud-amd64")
    assert meta["files"]["disk.img"]["size"] == 4 << 20
    for module in ("virtio_pci", "virtio_blk", "virtio_rng", "button", "evdev"):
        assert module in meta["modules"]
    # Each module after the ones it depends on.
    assert meta["modules"].index("virtio_ring") < meta["modules"].index("virtio_pci")


@pytest.mark.emu("qemu")
def test_boots_passes_checks_and_powers_off(artifacts, guest_factory):
    _, meta = artifacts
    cmdline = ("console=ttyS0 panic=-1 keel.cpus=%d keel.mem_mib=%d keel.disk_sha256=%s "
               "keel.rate_secs=%d" % (CPUS, MEM_MIB, meta["disk_sha256"], RATE_SECS))
    guest = guest_factory(cmdline)
    lines, summary, to_init = guest.checks()
    print("QEMU start to /init: %.1f s" % to_init)
    assert summary == "KEEL-LINUX: PASS", "\n".join(lines.values())
    for name in ("modules", "cpus", "mem", "rng", "disk", "rtc-rate", "power-button",
                 "acpid", "dmesg"):
        assert lines.get(name, "").startswith("KEEL-CHECK %s PASS" % name), (name, lines)

    # The operator's shell answers on the console.
    guest.expect(r"keel-linux# ", SHELL_TIMEOUT)
    guest.child.sendline("echo shell-$((6 * 7)) $(cat /proc/sys/kernel/osrelease)")
    guest.expect(r"shell-42 %s" % meta["kernel_version"], SHELL_TIMEOUT)
    guest.expect(r"keel-linux# ", SHELL_TIMEOUT)

    guest.powerdown()
    guest.expect(r"power button pressed", POWEROFF_TIMEOUT)
    guest.expect(pexpect.EOF, POWEROFF_TIMEOUT)
    guest.child.close()
    assert guest.child.exitstatus == 0, "QEMU ended with %r" % guest.child.exitstatus


@pytest.mark.emu("qemu")
def test_checks_fail_on_a_wrong_machine(artifacts, guest_factory):
    """Expectations the machine does not meet, and no rng device: exactly
    those checks fail; a missing keel.rate_secs skips its check."""
    cmdline = ("console=ttyS0 panic=-1 keel.cpus=%d keel.mem_mib=%d keel.disk_sha256=%s"
               % (CPUS + 1, MEM_MIB * 2, "0" * 64))
    guest = guest_factory(cmdline, rng=False)
    lines, summary, _ = guest.checks()
    assert summary == "KEEL-LINUX: FAIL cpus mem rng disk", "\n".join(lines.values())
    assert lines["rtc-rate"] == "KEEL-CHECK rtc-rate SKIP"
    assert lines["modules"].startswith("KEEL-CHECK modules PASS")
