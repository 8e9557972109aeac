"""Stock Linux under Keel (Bochs, emulated VT-x): Debian 12's cloud kernel
with 2 vCPUs, a read-only virtio disk, virtio-rng and the checking initrd of
tests/linux boots, passes its checks from inside (CPU count, memory, disk
checksum, entropy, clock rate against the RTC, a clean kernel log), answers
on its console, obeys shutdown and reboot from the shell, and its own
reboot follows on_reboot.

The tests run in order on one machine (fixture bochs_linux in conftest.py).
"""

import re
import time

import pytest

from conftest import LINUX_VCPUS

BOOT_TIMEOUT = 1500       # seconds from Keel's prompt to the guest's verdict
CTRL_RIGHT_BRACKET = "\x1d"

pytestmark = pytest.mark.emu("bochs")


def attach(shell):
    shell.sendline("console linux")


def detach(shell):
    shell.console.send(CTRL_RIGHT_BRACKET)
    shell.wait_prompt()


def wait_state(shell, state, timeout):
    deadline = time.time() + timeout
    out = ""
    while time.time() < deadline:
        out = shell.cmd("list --all")
        if re.search(r"\blinux\s+(%s)\b" % state, out):
            return out
        time.sleep(5)
    pytest.fail("linux did not reach '%s' in %d s:\n%s" % (state, timeout, out))


def wait_log(shell, text, timeout):
    deadline = time.time() + timeout
    dmesg = ""
    while time.time() < deadline:
        dmesg = shell.cmd("dmesg")
        if text in dmesg:
            return dmesg
        time.sleep(5)
    pytest.fail("no '%s' in the log within %d s:\n%s" % (text, timeout, dmesg))


class TestLinux:
    def test_boots_and_passes_its_checks(self, bochs_linux):
        attach(bochs_linux)
        bochs_linux.expect(r"KEEL-LINUX: (PASS|FAIL[^\r\n]*)", BOOT_TIMEOUT)
        verdict = bochs_linux.console.match.group(1)
        detach(bochs_linux)
        assert verdict == "PASS", bochs_linux.cmd("dmesg")

    def test_shell_answers_on_the_console(self, bochs_linux):
        attach(bochs_linux)
        bochs_linux.expect(r"keel-linux# ", 60)
        bochs_linux.sendline("echo cpus=$(grep -c ^processor /proc/cpuinfo)")
        bochs_linux.expect(r"cpus=(\d+)", 120)
        m = bochs_linux.console.match
        detach(bochs_linux)
        assert int(m.group(1)) == LINUX_VCPUS

    def test_exits_counted_per_reason(self, bochs_linux):
        out = bochs_linux.cmd("dominfo linux")
        assert re.search(r"State:\s+(running|idle)", out), out
        stats = dict(line.strip().split("=", 1)
                     for line in bochs_linux.cmd("domstats linux").splitlines()[1:])
        assert stats["state.state"] == "1" and stats["vcpu.current"] == "2", stats
        # The APIC is reached through EPT violations, the TSC-deadline timer
        # through WRMSR, and both vCPUs idle in HLT.
        for key in ("keel.exits.ept_violation", "keel.exits.wrmsr", "keel.exits.hlt"):
            assert int(stats.get(key, 0)) > 0, stats

    def test_shutdown_powers_off(self, bochs_linux):
        out = bochs_linux.cmd("shutdown linux")
        assert "Domain 'linux' is being shutdown" in out
        wait_state(bochs_linux, "shut off", 600)
        assert bochs_linux.cmd("domstate linux --reason") == "shut off (shutdown)"
        dmesg = bochs_linux.cmd("dmesg")
        assert "domain linux: shut off: the guest powered off (ACPI S5)" in dmesg, dmesg
        assert re.search(r"domain linux: exits: .*EPT violation \d+", dmesg), dmesg

    def test_shutdown_of_a_stopped_domain_fails(self, bochs_linux):
        out = bochs_linux.cmd("shutdown linux")
        assert "error: Failed to shutdown domain 'linux'" in out
        assert "domain is not running" in out

    def test_reboot_starts_it_again(self, bochs_linux):
        assert "Domain 'linux' started" in bochs_linux.cmd("start linux")
        attach(bochs_linux)
        bochs_linux.expect(r"KEEL-LINUX: PASS", BOOT_TIMEOUT)
        detach(bochs_linux)
        assert "is being rebooted" in bochs_linux.cmd("reboot linux")
        wait_log(bochs_linux, "domain linux: restarting (the operator's reboot)", 600)
        wait_state(bochs_linux, "running|idle", 120)

    def test_guest_reset_follows_on_reboot(self, bochs_linux):
        """The guest's own reboot resets the machine (ACPI reset register,
        port 0xCF9): on_reboot=restart starts it again."""
        attach(bochs_linux)
        bochs_linux.expect(r"KEEL-LINUX: PASS", BOOT_TIMEOUT)
        bochs_linux.expect(r"keel-linux# ", 60)
        bochs_linux.sendline("reboot -f")
        detach(bochs_linux)
        dmesg = wait_log(bochs_linux, "domain linux: restarting (on_reboot=restart)", 600)
        assert "domain linux: reset: the guest reset the machine" in dmesg, dmesg
        bochs_linux.cmd("destroy linux")
