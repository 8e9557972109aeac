"""Guests under Keel (Bochs, emulated VT-x): every test guest of
tests/guests runs as a domain of one configuration (conftest.GUESTS_CONFIG),
all started at boot on 2 CPUs. The functional guests must pass their own
checks; each hostile guest must end as intended while the others go on;
the counters must all keep making progress. The demo configuration
(config/demo) is checked on the `bochs` machine."""

import os
import random
import re
import subprocess
import time

import pytest

import conftest

FUNCTIONAL = ["hello", "modes", "cpuid", "portio", "msr", "vmxon", "elf64",
              "wild-write", "wild-read", "virtio-hostile"]
COUNTERS = ["c1", "c2", "c3", "c4"]
FINISH_TIMEOUT = 240     # seconds of wall clock for the one-shot guests under Bochs
POLL = 3


def dominfo(shell, name):
    out = shell.cmd("dominfo " + name)
    fields = {}
    for line in out.splitlines():
        m = re.match(r"([A-Za-z() ]+):\s+(.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    assert fields.get("Name") == name, out
    return fields


def wait_stopped(shell, name, timeout=FINISH_TIMEOUT):
    deadline = time.time() + timeout
    while True:
        info = dominfo(shell, name)
        if info["State"] in ("shut off", "crashed"):
            return info
        assert time.time() < deadline, "%s still %s after %d s" % (name, info["State"], timeout)
        time.sleep(POLL)


def console_of(shell, name):
    return shell.cmd("console " + name)


def last_count(shell, name):
    shell.sendline("console " + name)
    shell.expect(r"Escape character is")
    shell.expect(r"counter %s (\d+)\r?\n" % name)
    time.sleep(1)
    shell.console.send("\x1d")          # Ctrl-]
    shell.expect(re.escape("keel # "))
    counts = re.findall(r"counter %s (\d+)" % name, shell.console.before)
    return int(counts[-1]) if counts else 0


@pytest.mark.emu("bochs")
class TestGuests:

    @pytest.mark.parametrize("name", FUNCTIONAL)
    def test_functional_guest_passes(self, bochs_guests, name):
        info = wait_stopped(bochs_guests, name)
        out = console_of(bochs_guests, name)
        assert "PASS " + name in out, out
        assert info["State"] == "shut off", info
        assert info["Exit status"] == "1", info

    def test_never_seen_kernel_reports_exit_status(self, bochs_guests):
        """A kernel assembled by the test itself (conftest.FRESH_KERNEL_ASM)."""
        info = wait_stopped(bochs_guests, "fresh")
        assert info["Exit status"] == str(conftest.FRESH_EXIT_STATUS), info
        assert "fresh kernel says hi" in console_of(bochs_guests, "fresh")

    def test_hello_got_modules_and_cmdline(self, bochs_guests):
        wait_stopped(bochs_guests, "hello")
        out = console_of(bochs_guests, "hello")
        assert "hello.elf from=test" in out, out
        assert "mod-one.txt" in out and "mod-two.txt" in out, out
        assert "bytes 66 69 72 73 74 20 6d 6f 64 75 6c 65" in out, out   # "first module"

    def test_cpuid_cost_reported(self, bochs_guests):
        wait_stopped(bochs_guests, "cpuid")
        m = re.search(r"cpuid: (\d+) cycles per exit", console_of(bochs_guests, "cpuid"))
        assert m, "no CPUID round-trip figure"
        print("CPUID exit round trip under Bochs: %s TSC cycles" % m.group(1))

    def test_triple_fault_resets_only_its_domain(self, bochs_guests):
        """A triple fault resets the machine; on_reboot=destroy leaves it off."""
        info = wait_stopped(bochs_guests, "triple")
        assert info["State"] == "shut off", info
        assert "triple fault" in info["Reason"], info
        assert "triple: going" in console_of(bochs_guests, "triple")
        dmesg = bochs_guests.cmd("dmesg")
        assert re.search(r"domain triple: reset: triple fault on vCPU 0 at RIP 0x", dmesg), dmesg

    def test_empty_bus_logged(self, bochs_guests):
        wait_stopped(bochs_guests, "wild-write")
        dmesg = bochs_guests.cmd("dmesg")
        assert re.search(r"domain wild-write: 4-byte write at 0x[0-9a-f]+: no RAM or device", dmesg)

    def test_virtio_hostile_contained(self, bochs_guests):
        """A driver that breaks its virtio-blk device on purpose: the device
        answers with NEEDS_RESET (the guest enforces that itself under Keel)
        and Keel logs nothing about the domain but its start and its end."""
        info = wait_stopped(bochs_guests, "virtio-hostile")
        assert info["State"] == "shut off" and info["Exit status"] == "1", info
        out = console_of(bochs_guests, "virtio-hostile")
        for case in ("a1", "a3", "b1", "b2", "b3", "c1", "c3"):
            assert re.search(r"virtio-hostile: %s\) .*: status 4f, used idx 0" % case, out), out
        assert "c2) request status 01, used length 1" in out, out
        assert "d) sector 0: status 00, used id 0 length 513, data 'KEELDISK'" in out, out
        assert "PASS virtio-hostile" in out, out
        dmesg = bochs_guests.cmd("dmesg")
        ok = (r"config: virtio-hostile\.xml: domain virtio-hostile \(8 MiB, 1 vCPU\)",
              r"domain virtio-hostile: started \(.*\)",
              r"domain virtio-hostile: shut off: the guest wrote 0x0 to the debug-exit port, "
              r"exit status 1",
              r"domain virtio-hostile: exits: .*")
        lines = [line for line in dmesg.splitlines() if "virtio-hostile" in line]
        assert lines, dmesg
        for line in lines:
            text = re.sub(r"^\[ *[0-9.]+\] ", "", line)
            assert any(re.fullmatch(p, text) for p in ok), "unexpected log line: " + line

    def test_invalid_definition_reported_and_skipped(self, bochs_guests):
        dmesg = bochs_guests.cmd("dmesg")
        assert re.search(r"config: broken\.xml: line 4: .*<clock>.*; skipped", dmesg), dmesg
        assert bochs_guests.cmd("dominfo broken") == "error: failed to get domain 'broken'"

    def test_counters_progress_beside_hostile_guests(self, bochs_guests):
        """Four counters, a CPU hog with interrupts off and a UART flood share
        two CPUs: every counter advances."""
        for name in ("spin", "flood") + tuple(COUNTERS):
            assert dominfo(bochs_guests, name)["State"] == "running", name
        first = {c: last_count(bochs_guests, c) for c in COUNTERS}
        # Wall time says little about a loaded Bochs: wait for each counter
        # to move, up to a bound no fair scheduler comes near.
        deadline = time.time() + 180
        stuck = list(COUNTERS)
        while stuck and time.time() < deadline:
            time.sleep(5)
            second = {c: last_count(bochs_guests, c) for c in stuck}
            stuck = [c for c in stuck if second[c] <= first[c]]
        assert not stuck, "no progress: %s (from %s)" % (stuck, first)

    def test_flooding_guest_console_detaches(self, bochs_guests):
        bochs_guests.sendline("console flood")
        bochs_guests.expect(r"Escape character is")
        bochs_guests.expect(r"flood")
        bochs_guests.console.send("\x1d")
        bochs_guests.expect(re.escape("keel # "))
        assert "flood" in bochs_guests.cmd("list")

    def test_list_states(self, bochs_guests):
        out = bochs_guests.cmd("list --all")
        rows = dict(re.findall(r"^ +(?:\d+|-) +(\S+) +(.+?) *$", out, re.M))
        assert rows.get("spin") == "running", out
        assert "hello" in rows, out
        assert "hello" not in bochs_guests.cmd("list"), "list shows inactive domains"

    def test_shell_errors(self, bochs_guests):
        assert bochs_guests.cmd("start nosuch") == "error: failed to get domain 'nosuch'"
        assert bochs_guests.cmd("start spin") == "error: Domain 'spin' is already active"
        wait_stopped(bochs_guests, "hello")
        out = bochs_guests.cmd("destroy hello")
        assert "domain is not running" in out, out

    def test_destroy_and_restart(self, bochs_guests):
        """Runs last: destroys the hogs, then starts a finished guest again."""
        for name in ("spin", "flood") + tuple(COUNTERS):
            # The kernel log may interleave its own lines with the reply.
            out = bochs_guests.cmd("destroy " + name)
            assert "Domain '%s' destroyed" % name in out.splitlines(), out
            assert dominfo(bochs_guests, name)["State"] == "shut off"
        out = bochs_guests.cmd("start hello")
        assert "Domain 'hello' started" in out.splitlines(), out
        info = wait_stopped(bochs_guests, "hello")
        assert info["Exit status"] == "1", info

    def test_lifecycle_commands_in_any_order(self, bochs_guests):
        """Runs after the counters were destroyed: a fixed random sequence of
        lifecycle commands on c1 gets the answer a model of the states
        predicts, and afterwards list --all and dominfo still agree."""
        shell, rng, state = bochs_guests, random.Random(5), "shut off"
        dump = shell.cmd("dumpxml c1")
        for step in range(LIFECYCLE_STEPS):
            verb = rng.choice(sorted(LIFECYCLE))
            if verb == "define":
                assert shell.paste("define -", dump + "\n") == "Domain 'c1' defined from -"
            else:
                want, state = lifecycle_answer(verb, state)
                out = shell.cmd("%s c1" % verb)
                assert out.splitlines()[-len(want.splitlines()):] == want.splitlines(), \
                    (step, verb, out)
            listed = re.search(r"^ +(?:\d+|-) +c1 +(.+?) *$", shell.cmd("list --all"), re.M)
            shown = dominfo(shell, "c1")["State"]
            assert listed and (listed.group(1) == shown or
                               {listed.group(1), shown} <= {"running", "idle"}), (step, verb, shown)
            assert re.fullmatch(state, shown), (step, verb, state, shown)
        assert shell.cmd("dumpxml c1") == dump
        # A paused counter stops counting; resumed, it counts on.
        if state == "shut off":
            shell.cmd("start c1")
        shell.cmd("resume c1")
        assert last_count(shell, "c1") > 0
        assert shell.cmd("suspend c1") == "Domain 'c1' suspended"
        frozen = last_count(shell, "c1")
        time.sleep(2)
        assert last_count(shell, "c1") == frozen
        assert shell.cmd("resume c1") == "Domain 'c1' resumed"
        deadline = time.time() + 120
        while last_count(shell, "c1") == frozen:
            assert time.time() < deadline, "c1 does not count after resume"
        shell.cmd("destroy c1")


LIFECYCLE_STEPS = 40
LIFECYCLE = {"start", "destroy", "suspend", "resume", "shutdown", "reboot", "define"}
NOT_RUNNING = ("error: Failed to %s domain 'c1'\n"
               "error: Requested operation is not valid: domain is not running")
RUNNING = "running|idle"


def lifecycle_answer(verb, state):
    """What the shell answers to `verb c1` in `state`, and the state after
    it (the counter ignores the power button)."""
    off, paused = state == "shut off", state == "paused"
    if verb == "start":
        return ("error: Domain 'c1' is already active", state) if not off else \
            ("Domain 'c1' started", RUNNING)
    if off or (paused and verb in ("shutdown", "reboot")):
        return NOT_RUNNING % verb, state
    return {
        "destroy": ("Domain 'c1' destroyed", "shut off"),
        "suspend": ("Domain 'c1' suspended", "paused"),
        "resume": ("Domain 'c1' resumed", RUNNING),
        "shutdown": ("Domain 'c1' is being shutdown", state),
        "reboot": ("Domain 'c1' is being rebooted", state),
    }[verb]


@pytest.mark.emu("bochs")
class TestDemo:
    """config/demo on the session's Bochs machine."""

    def test_demo_guests_print(self, bochs):
        wait_stopped(bochs, "hello")
        assert "PASS hello" in console_of(bochs, "hello")
        for name in ("counter1", "counter2"):
            assert dominfo(bochs, name)["State"] == "running"


@pytest.mark.emu("qemu")
class TestNoVmx:
    """Without VT-x the domains are defined but cannot start."""

    def test_start_says_why(self, qemu):
        out = qemu.cmd("start hello")
        assert out.startswith("error: Failed to start domain 'hello'"), out
        assert "cannot run guests" in out, out
        assert "shut off" in qemu.cmd("list --all")


@pytest.mark.emu("qemu")
def test_guests_check_themselves_under_qemu(pytestconfig):
    """The test guests' own checks, under plain QEMU (no Keel)."""
    build = os.path.dirname(os.path.abspath(pytestconfig.getoption("--keel-image")))
    r = subprocess.run(["bash", os.path.join(conftest.ROOT, "tests", "guests", "check-qemu.sh"),
                        build], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and " 0 failed" in r.stdout, r.stdout + r.stderr
