"""Fixtures for Keel's system tests: boot the image in each emulator (QEMU
once per test module, Bochs once per session) and hand the tests a Shell
on its serial console (see tools/emu.py).

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
    """A booted Keel with its console: cmd() runs a shell command and returns
    its output. When the boot failed, or the console stopped answering, the
    first test to use it fails with the whole story and later ones fail at
    once with a short note, instead of each waiting out its own timeout."""

    def __init__(self, machine, console=None, boot_log="", broken=None):
        self.machine = machine
        self.console = console
        self._boot_log = boot_log
        self.emu = machine.emu
        self.broken = broken
        self._reported = False

    def _fail_if_broken(self):
        if not self.broken:
            return
        if self._reported:
            pytest.fail("%s unusable since an earlier failure (see the first failing %s "
                        "test; logs in %s)" % (self.emu, self.emu, self.machine.workdir),
                        pytrace=False)
        self._reported = True
        pytest.fail(self.broken, pytrace=False)

    def _guard(self, method, *args):
        self._fail_if_broken()
        try:
            return getattr(self.console, method)(*args)
        except emu.EmulatorError as e:
            self.broken = str(e)
            self._fail_if_broken()

    @property
    def boot_log(self):
        """Everything the console showed before the first prompt."""
        self._fail_if_broken()
        return self._boot_log

    def cmd(self, line, timeout=None):
        return self._guard("cmd", line, timeout)

    def sendline(self, line):
        return self._guard("sendline", line)

    def expect(self, pattern, timeout=None):
        return self._guard("expect", pattern, timeout)

    def wait_prompt(self, timeout=None):
        return self._guard("wait_prompt", timeout)


def _new_machine(config, emulator, name):
    """A started machine whose files go to a fresh --keel-workdir/NAME."""
    workdir = os.path.join(config.getoption("--keel-workdir"), name)
    shutil.rmtree(workdir, ignore_errors=True)
    machine = emu.Machine(emulator, config.getoption("--keel-image"), cpus=CPUS,
                          mem=MEM_MIB, workdir=workdir)
    try:
        return machine.start()
    except emu.EmulatorError:
        machine.stop()
        raise


def _boot(config, emulator, name):
    """A Shell on a machine (the prestarted one if any) that has reached its
    first prompt, or a broken Shell saying why it did not."""
    machine = config._keel_prestarted.pop(name, None)
    try:
        if machine is None:
            machine = _new_machine(config, emulator, name)
        console = machine.console(os.path.join(machine.workdir, "console.log"))
        return Shell(machine, console, console.wait_prompt())
    except emu.EmulatorError as e:
        if machine is None:
            pytest.fail("%s could not start: %s" % (emulator, e), pytrace=False)
        machine.stop()
        return Shell(machine, broken="%s did not boot to the prompt: %s" % (emulator, e))


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
