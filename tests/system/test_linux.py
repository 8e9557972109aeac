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
from emu import clean as emu_clean

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
        # Destroy waits for the restart under way, then stops the new run.
        assert bochs_linux.cmd("destroy linux") == "Domain 'linux' destroyed"

    # ---- the domain lifecycle from the shell, as an operator drives it

    def test_define_from_pasted_xml(self, bochs_linux):
        """dumpxml, undefine, define the dump pasted on the console: the
        same definition, and dumpxml gives the same text again."""
        assert bochs_linux.cmd("domstate linux") == "shut off"
        dump = bochs_linux.cmd("dumpxml linux")
        assert "<name>linux</name>" in dump and "<uuid>" in dump, dump
        assert bochs_linux.cmd("undefine linux") == "Domain 'linux' has been undefined"
        assert "linux" not in bochs_linux.cmd("list --all --name").split()
        assert bochs_linux.paste("define -", dump + "\n") == "Domain 'linux' defined from -"
        assert bochs_linux.cmd("dumpxml linux") == dump
        assert_consistent(bochs_linux, "shut off")

    def test_start_and_watch_the_console(self, bochs_linux):
        assert bochs_linux.cmd("start linux") == "Domain 'linux' started"
        assert bochs_linux.cmd("start linux") == "error: Domain 'linux' is already active"
        attach(bochs_linux)
        bochs_linux.expect(r"KEEL-LINUX: PASS", BOOT_TIMEOUT)
        bochs_linux.expect(r"keel-linux# ", 60)
        detach(bochs_linux)
        # History survives the console session.
        bochs_linux.console.send(UP)
        bochs_linux.expect(r"console linux")
        bochs_linux.console.send(CTRL_C)
        bochs_linux.wait_prompt()
        assert_consistent(bochs_linux, "running|idle")

    def test_vcpuinfo(self, bochs_linux):
        out = bochs_linux.cmd("vcpuinfo linux")
        blocks = out.split("\n\n")
        assert len(blocks) == LINUX_VCPUS, out
        for i, block in enumerate(blocks):
            assert re.search(r"^VCPU:\s+%d$" % i, block, re.M), out
            assert re.search(r"^CPU:\s+\d+$", block, re.M), out
            assert re.search(r"^State:\s+(running|blocked)$", block, re.M), out
            assert re.search(r"^CPU time:\s+\d+\.\ds$", block, re.M), out
            assert re.search(r"^CPU Affinity:\s+y+$", block, re.M), out

    def test_suspend_freezes_the_guest(self, bochs_linux):
        """A suspended guest gets no CPU time, refuses shutdown, and its
        clock does not count the pause."""
        before = guest_uptime(bochs_linux)
        assert bochs_linux.cmd("suspend linux") == "Domain 'linux' suspended"
        assert_consistent(bochs_linux, "paused")
        assert bochs_linux.cmd("domstate linux --reason") == "paused (user)"
        cpu = cpu_time(bochs_linux)
        assert bochs_linux.cmd("shutdown linux") == (
            "error: Failed to shutdown domain 'linux'\nerror: Requested operation is not "
            "valid: domain is not running")
        assert bochs_linux.cmd("suspend linux") == "Domain 'linux' suspended"
        time.sleep(PAUSE_SECONDS)
        assert cpu_time(bochs_linux) == cpu
        assert bochs_linux.cmd("resume linux") == "Domain 'linux' resumed"
        assert_consistent(bochs_linux, "running|idle")
        after = guest_uptime(bochs_linux)
        dmesg = bochs_linux.cmd("dmesg")
        paused = log_time(dmesg, "domain linux: resumed") - log_time(dmesg, "domain linux: suspended")
        assert paused > PAUSE_SECONDS / 2, dmesg
        # Had the guest's clock run on, it would have seen the whole pause.
        assert after - before < paused, (before, after, paused)
        # A guest that saw a 30 s jump reports soft lockups and RCU stalls.
        log = guest_log_since(bochs_linux, before)
        for symptom in ("soft lockup", "rcu_sched self-detected stall", "stall on CPU", "hung"):
            assert symptom not in log, log

    def test_destroy_during_boot(self, bochs_linux):
        assert bochs_linux.cmd("destroy linux") == "Domain 'linux' destroyed"
        assert bochs_linux.cmd("start linux") == "Domain 'linux' started"
        assert bochs_linux.cmd("destroy linux") == "Domain 'linux' destroyed"
        assert bochs_linux.cmd("domstate linux --reason") == "shut off (destroyed)"
        assert_consistent(bochs_linux, "shut off")
        for verb in ("destroy", "suspend", "resume", "shutdown", "reboot"):
            assert bochs_linux.cmd("%s linux" % verb) == (
                "error: Failed to %s domain 'linux'\nerror: Requested operation is not "
                "valid: domain is not running" % verb)

    def test_undefine_running_makes_it_transient(self, bochs_linux):
        dump = bochs_linux.cmd("dumpxml linux")
        assert bochs_linux.cmd("start linux") == "Domain 'linux' started"
        assert bochs_linux.cmd("undefine linux") == "Domain 'linux' has been undefined"
        info = bochs_linux.cmd("dominfo linux")
        assert re.search(r"^Persistent:\s+no$", info, re.M), info
        assert "cannot undefine transient domain" in bochs_linux.cmd("undefine linux")
        assert "cannot set autostart for transient domain" in bochs_linux.cmd("autostart linux")
        assert bochs_linux.cmd("destroy linux") == "Domain 'linux' destroyed"
        assert "linux" not in bochs_linux.cmd("list --all --name").split()
        assert bochs_linux.cmd("dominfo linux") == "error: failed to get domain 'linux'"
        # A transient domain from pasted XML: it runs, and is gone once the
        # guest powers itself off.
        assert bochs_linux.paste("create -", dump + "\n") == "Domain 'linux' created from -"
        assert_consistent(bochs_linux, "running|idle")
        attach(bochs_linux)
        bochs_linux.expect(r"KEEL-LINUX: PASS", BOOT_TIMEOUT)
        detach(bochs_linux)
        assert "is being shutdown" in bochs_linux.cmd("shutdown linux")
        deadline = time.time() + 600
        while "linux" in bochs_linux.cmd("list --all --name").split():
            assert time.time() < deadline, bochs_linux.cmd("dmesg")
            time.sleep(5)
        assert bochs_linux.paste("define -", dump + "\n") == "Domain 'linux' defined from -"
        assert_consistent(bochs_linux, "shut off")


UP = "\x1b[A"
CTRL_C = "\x03"
PAUSE_SECONDS = 30


def assert_consistent(shell, state):
    """list --all and dominfo agree on the domain's state, and it is `state`
    (running and idle are one state: the guest halts and wakes between the
    two commands)."""
    listed = re.search(r"^\s*(\d+|-)\s+linux\s+(.+?)\s*$", shell.cmd("list --all"), re.M)
    info = shell.cmd("dominfo linux")
    shown = re.search(r"^State:\s+(.+)$", info, re.M)
    ident = re.search(r"^Id:\s+(\S+)$", info, re.M)
    assert listed and shown and ident, info
    assert same_state(listed.group(2), shown.group(1)), (listed.group(0), info)
    assert listed.group(1) == ident.group(1), (listed.group(0), info)
    assert re.fullmatch(state, shown.group(1)), info


def same_state(a, b):
    active = ("running", "idle")
    return a == b or (a in active and b in active)


def cpu_time(shell):
    return re.search(r"^CPU time:\s+(\S+)$", shell.cmd("dominfo linux"), re.M).group(1)


def guest_uptime(shell):
    """Seconds of uptime the guest counts, read on its shell."""
    attach(shell)
    shell.expect(r"keel-linux# ", 60)
    shell.sendline("cat /proc/uptime")
    shell.expect(r"(\d+\.\d+) \d+\.\d+", 120)
    up = float(shell.console.match.group(1))
    detach(shell)
    return up


def log_time(dmesg, text):
    m = re.search(r"^\[\s*(\d+\.\d+)\] %s" % re.escape(text), dmesg, re.M)
    assert m, "no '%s' in:\n%s" % (text, dmesg)
    return float(m.group(1))


def guest_log_since(shell, since):
    """The guest's kernel log from `since` seconds of uptime on."""
    attach(shell)
    shell.expect(r"keel-linux# ", 60)
    shell.sendline("dmesg | tail -n 20; echo END-OF-DMESG")
    shell.expect(r"END-OF-DMESG\r?\n", 120)
    shell.expect(r"keel-linux# ", 60)
    out = emu_clean(shell.console.before)
    detach(shell)
    lines = [l for l in out.splitlines()
             if (m := re.match(r"\[\s*(\d+\.\d+)\]", l)) and float(m.group(1)) >= since]
    return "\n".join(lines)
