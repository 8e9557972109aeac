"""Fixtures for Keel's system tests: boot the image once per emulator per
session and hand the tests a console (see tools/emu.py).

    qemu         QEMU/TCG, USB stick, 2 CPUs, 512 MiB (one per test module)
    qemu_fresh   a new QEMU of its own, for tests that reset the machine
    bochs        Bochs with emulated VT-x, ATA disk, 2 CPUs, 512 MiB
    kvm          QEMU/KVM with nested VT-x, one per module (only where the
                 host offers it)

Tests say which emulator they need with @pytest.mark.emu("qemu"). KEEL_EMU
(comma-separated, e.g. "qemu") runs only those emulators' tests; the others
are skipped. Bochs is slow to boot, so when Bochs tests were collected its
machine starts as soon as collection ends and boots while QEMU's tests run.
Consoles, emulator logs and Bochs's files are kept under --keel-workdir
(build/systest/<name>/) for inspection after a failure.
"""

import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import emu  # noqa: E402  (path set just above)

CPUS = 2
MEM_MIB = 512
ALL_EMULATORS = ("qemu", "bochs", "kvm")


def pytest_addoption(parser):
    group = parser.getgroup("keel")
    group.addoption("--keel-image", default=os.environ.get("KEEL_IMAGE",
                    os.path.join(ROOT, "build", "keel.img")), help="Keel boot image")
    group.addoption("--keel-workdir", default=os.environ.get("KEEL_WORKDIR",
                    os.path.join(ROOT, "build", "systest")),
                    help="where consoles and emulator logs are kept")


def pytest_configure(config):
    config.addinivalue_line("markers", "emu(name): test needs this emulator (qemu, bochs, kvm)")
    config._keel_prestarted = {}


def selected_emulators():
    wanted = os.environ.get("KEEL_EMU", "").strip()
    if not wanted:
        return set(ALL_EMULATORS)
    names = {n.strip() for n in wanted.split(",") if n.strip()}
    unknown = names - set(ALL_EMULATORS)
    if unknown:
        raise pytest.UsageError("KEEL_EMU: unknown emulator(s) %s" % ", ".join(sorted(unknown)))
    return names


def _skip_reason(name):
    if name not in selected_emulators():
        return "KEEL_EMU=%s excludes %s" % (os.environ.get("KEEL_EMU"), name)
    if name == "kvm" and not emu.kvm_available():
        return "kvm: " + emu.kvm_status()[1]
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        mark = item.get_closest_marker("emu")
        if mark is None:
            continue
        reason = _skip_reason(mark.args[0])
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_collection_finish(session):
    """Start Bochs now if any Bochs test will run, so that its slow boot
    overlaps the QEMU tests."""
    config = session.config
    if config.option.collectonly:
        return
    for item in session.items:
        if "bochs" in item.fixturenames and not item.get_closest_marker("skip"):
            try:
                config._keel_prestarted["bochs"] = _new_machine(config, "bochs", "bochs")
            except emu.EmulatorError:
                pass  # the fixture tries again and reports the error
            return


def pytest_unconfigure(config):
    for machine in getattr(config, "_keel_prestarted", {}).values():
        machine.stop()


class Shell:
    """A booted Keel with its console. cmd() runs a shell command and returns
    its output; once the console has stopped answering, later calls fail at
    once instead of each waiting out its own timeout."""

    def __init__(self, machine, console, boot_log):
        self.machine = machine
        self.console = console
        self.boot_log = boot_log
        self.emu = machine.emu
        self.broken = None

    def _guard(self, action, *args, **kwargs):
        if self.broken:
            pytest.fail("%s console unusable since an earlier failure:\n%s"
                        % (self.emu, self.broken), pytrace=False)
        try:
            return action(*args, **kwargs)
        except emu.EmulatorError as e:
            self.broken = str(e)
            pytest.fail(str(e), pytrace=False)

    def cmd(self, line, timeout=None):
        return self._guard(self.console.cmd, line, timeout)

    def sendline(self, line):
        return self._guard(self.console.sendline, line)

    def expect(self, pattern, timeout=None):
        return self._guard(self.console.expect, pattern, timeout)

    def wait_prompt(self, timeout=None):
        return self._guard(self.console.wait_prompt, timeout)


def _new_machine(config, emulator, name):
    workdir = os.path.join(config.getoption("--keel-workdir"), name)
    shutil.rmtree(workdir, ignore_errors=True)
    machine = emu.Machine(emulator, config.getoption("--keel-image"), cpus=CPUS,
                          mem=MEM_MIB, workdir=workdir)
    return machine.start()


def _boot(config, emulator, name):
    """A started machine (the prestarted one if any) waiting at its first
    prompt, as a Shell; stops the machine if the boot fails."""
    machine = config._keel_prestarted.pop(name, None)
    try:
        if machine is None:
            machine = _new_machine(config, emulator, name)
        console = machine.console(os.path.join(machine.workdir, "console.log"))
        boot_log = console.wait_prompt()
    except emu.EmulatorError as e:
        if machine is not None:
            machine.stop()
        pytest.fail("%s did not boot to the prompt: %s" % (emulator, e), pytrace=False)
    return Shell(machine, console, boot_log)


@pytest.fixture(scope="module")
def qemu(pytestconfig, request):
    shell = _boot(pytestconfig, "qemu", "qemu-" + request.module.__name__)
    yield shell
    shell.machine.stop()


@pytest.fixture
def qemu_fresh(pytestconfig, request):
    shell = _boot(pytestconfig, "qemu", "qemu-" + request.node.name)
    yield shell
    shell.machine.stop()


@pytest.fixture(scope="session")
def bochs(pytestconfig):
    shell = _boot(pytestconfig, "bochs", "bochs")
    yield shell
    shell.machine.stop()


@pytest.fixture(scope="module")
def kvm(pytestconfig, request):
    shell = _boot(pytestconfig, "kvm", "kvm-" + request.module.__name__)
    yield shell
    shell.machine.stop()
