"""Fixtures for Keel's system tests: boot the image in each emulator (QEMU
once per test module, Bochs once per session) and hand the tests a Shell
on its serial console (see tools/emu.py).

    qemu         QEMU/TCG, USB stick, 2 CPUs, 512 MiB (one per test module)
    qemu_fresh   a new QEMU of its own, for tests that reset the machine
    bochs        Bochs with emulated VT-x, ATA disk, 2 CPUs, 512 MiB
    bochs_guests Bochs booting an image whose configuration runs every test
                 guest of tests/guests at once (GUESTS_CONFIG below)
    kvm          QEMU/KVM with nested VT-x, one per module (only where the
                 host offers it)

Tests say which emulator they need with @pytest.mark.emu("qemu"). KEEL_EMU
(comma-separated, e.g. "qemu") runs only those emulators' tests; the others
are skipped. Bochs is slow to boot, so when Bochs tests were collected its
machine starts as soon as collection ends and boots while QEMU's tests run.
Consoles, emulator logs and Bochs's files are kept under --keel-workdir
(build/systest/<name>/) for inspection after a failure.
"""

import json
import os
import re
import shutil
import subprocess
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


# ------------------------------------------------------------ test guests
# Every test guest as a domain, started together from one configuration
# directory: the functional guests, the hostile ones, and counters that
# must keep making progress beside them. Each entry: name -> (kernel,
# MiB, command line, modules[, disk image]). An invalid definition checks
# that it is reported and skipped while the rest start.
GUESTS_DISK = "virtio-disk.img"     # guests_image() writes it: see there
GUESTS_CONFIG = {
    "hello": ("hello.elf", 16, "from=test", ["mod-one.txt", "mod-two.txt"]),
    "modes": ("modes.elf", 16, "", []),
    "cpuid": ("cpuid.elf", 8, "", []),
    "portio": ("portio.elf", 8, "", []),
    "msr": ("msr.elf", 8, "", []),
    "vmxon": ("vmxon.elf", 8, "", []),
    "elf64": ("elf64.elf", 8, "", []),
    "wild-write": ("wild-write.elf", 16, "", []),
    "wild-read": ("wild-read.elf", 16, "", []),
    "virtio-hostile": ("virtio-hostile.elf", 8, "", [], GUESTS_DISK),
    "triple": ("triple.elf", 8, "", []),
    "spin": ("spin.elf", 8, "", []),
    "flood": ("flood.elf", 8, "", []),
    "c1": ("counter.elf", 8, "name=c1 delay=20000", []),
    "c2": ("counter.elf", 8, "name=c2 delay=20000", []),
    "c3": ("counter.elf", 8, "name=c3 delay=20000", []),
    "c4": ("counter.elf", 8, "name=c4 delay=20000", []),
}
# A multiboot kernel the project never built before: assembled here from
# this text (flat binary, a.out kludge), it prints a line and writes 0x2a to
# the debug-exit port, so its domain must end with exit status 85.
FRESH_KERNEL_ASM = """
bits 32
org 0x100000
MAGIC equ 0x1BADB002
FLAGS equ 0x00010003
header: dd MAGIC, FLAGS, -(MAGIC + FLAGS)
        dd header, header, 0, 0, start
start:  mov esi, message
        mov dx, 0x3f8
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  mov al, 0x2a
        out 0xf4, al
        cli
.halt:  hlt
        jmp .halt
message: db "fresh kernel says hi", 13, 10, 0
"""
FRESH_EXIT_STATUS = (0x2a << 1) | 1
MODULES = {"mod-one.txt": "first module\n", "mod-two.txt": "second module, a bit longer\n"}
BROKEN_XML = ("broken.xml", "<domain type='keel'>\n  <name>broken</name>\n"
              "  <memory unit='MiB'>8</memory>\n  <clock offset='utc'/>\n</domain>\n")


def domain_xml(name, kernel, mib, cmdline, modules, disk=None):
    """A test guest's definition; 'disk' (a file of the configuration)
    becomes its virtio disk vda."""
    initrds = "".join("\n    <initrd>%s</initrd>" % m for m in modules)
    disks = ("    <disk type='file' device='disk'>\n      <source file='%s'/>\n"
             "      <target dev='vda' bus='virtio'/>\n    </disk>\n" % disk) if disk else ""
    return ("<domain type='keel'>\n  <name>%s</name>\n  <memory unit='MiB'>%d</memory>\n"
            "  <os>\n    <type>hvm</type>\n    <kernel>%s</kernel>%s\n"
            "    <cmdline>%s</cmdline>\n  </os>\n  <on_reboot>destroy</on_reboot>\n"
            "  <devices>\n%s    <serial type='pty'/>\n  </devices>\n</domain>\n"
            % (name, mib, kernel, initrds, cmdline, disks))


def build_image(image, workdir, files, extra=()):
    """Stage a configuration directory in workdir (files: name -> text) and
    build a boot image with tools/mkimage.sh beside the given image's
    loader and kernel; extra files (guest kernels) are added. Returns the
    new image's path."""
    build = os.path.dirname(os.path.abspath(image))
    cfg = os.path.join(workdir, "config")
    shutil.rmtree(cfg, ignore_errors=True)
    os.makedirs(cfg)
    for name, text in files.items():
        with open(os.path.join(cfg, name), "w") as f:
            f.write(text)
    out = os.path.join(workdir, "keel.img")
    subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), out,
                    os.path.join(build, "BOOTX64.EFI"), os.path.join(build, "keel.elf"), cfg]
                   + list(extra), check=True, stdout=subprocess.DEVNULL)
    return out


def guests_image(config):
    workdir = os.path.join(config.getoption("--keel-workdir"), "bochs-guests-image")
    build = os.path.dirname(os.path.abspath(config.getoption("--keel-image")))
    files = {n + ".xml": domain_xml(n, *spec) for n, spec in GUESTS_CONFIG.items()}
    files.update(MODULES)
    files[BROKEN_XML[0]] = BROKEN_XML[1]
    files["autostart"] = "".join(n + "\n" for n in GUESTS_CONFIG)
    kernels = sorted({spec[0] for spec in GUESTS_CONFIG.values()})
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "fresh.asm")
    with open(src, "w") as f:
        f.write(FRESH_KERNEL_ASM)
    fresh = os.path.join(workdir, "fresh-kernel.bin")
    subprocess.run(["nasm", "-f", "bin", src, "-o", fresh], check=True)
    files["fresh.xml"] = domain_xml("fresh", "fresh-kernel.bin", 4, "", [])
    files["autostart"] += "fresh\n"
    # virtio-hostile's disk: 64 KiB, byte o = (o + o / 512) mod 256 (byte i
    # of sector s is i + s), starting with "KEELDISK"; tests/guests/
    # check-qemu.sh makes the same one.
    disk = bytearray((o + o // 512) & 0xff for o in range(64 * 1024))
    disk[:8] = b"KEELDISK"
    disk_path = os.path.join(workdir, GUESTS_DISK)
    with open(disk_path, "wb") as f:
        f.write(disk)
    return build_image(config.getoption("--keel-image"), workdir, files,
                       [os.path.join(build, "guests", k) for k in kernels] + [fresh, disk_path])


# ------------------------------------------------------------ Linux guest
# Debian's cloud kernel with the checking initrd of tests/linux (built by
# tools/linux_guest.py), 2 vCPUs, a read-only virtio disk and virtio-rng.
LINUX_MIB = 128
LINUX_VCPUS = 2
LINUX_RATE_SECS = 5


def linux_artifacts():
    """Build (or reuse) build/linux and return its description."""
    out = os.path.join(ROOT, "build", "linux")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "linux_guest.py"), out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "linux-guest.json")) as f:
        info = json.load(f)
    info["dir"] = out
    return info


def linux_xml(info, name="linux"):
    cmdline = "%s panic=-1 keel.cpus=%d keel.mem_mib=%d keel.rate_secs=%d" % (
        info["cmdline"], LINUX_VCPUS, LINUX_MIB, LINUX_RATE_SECS)
    return ("<domain type='keel'>\n  <name>%s</name>\n  <memory unit='MiB'>%d</memory>\n"
            "  <vcpu>%d</vcpu>\n  <os>\n    <type arch='x86_64'>hvm</type>\n"
            "    <kernel>vmlinuz</kernel>\n    <initrd>initrd.img</initrd>\n"
            "    <cmdline>%s</cmdline>\n  </os>\n  <features><acpi/><apic/></features>\n"
            "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
            "  <devices>\n    <disk type='file' device='disk'>\n"
            "      <source file='disk.img'/>\n      <target dev='vda' bus='virtio'/>\n"
            "      <readonly/>\n    </disk>\n"
            "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
            "    <serial type='pty'/>\n  </devices>\n</domain>\n"
            % (name, LINUX_MIB, LINUX_VCPUS, cmdline))


def linux_image(config):
    workdir = os.path.join(config.getoption("--keel-workdir"), "bochs-linux-image")
    info = linux_artifacts()
    files = {"linux.xml": linux_xml(info), "autostart": "linux\n"}
    os.makedirs(workdir, exist_ok=True)
    return build_image(config.getoption("--keel-image"), workdir, files,
                       [os.path.join(info["dir"], f) for f in ("vmlinuz", "initrd.img", "disk.img")])


PRESTART = {  # fixture -> (emulator, image builder or None for --keel-image)
    "bochs": ("bochs", None),
    "bochs_guests": ("bochs", guests_image),
    "bochs_linux": ("bochs", linux_image),
}


def pytest_collection_finish(session):
    """Start the Bochs machines now if their tests will run, so that their
    slow boots overlap the QEMU tests."""
    config = session.config
    if config.option.collectonly:
        return
    wanted = {f for item in session.items if not item.get_closest_marker("skip")
              for f in item.fixturenames if f in PRESTART}
    for fixture in sorted(wanted):
        emulator, builder = PRESTART[fixture]
        try:
            image = builder(config) if builder else None
            config._keel_prestarted[fixture] = _new_machine(config, emulator, fixture, image)
        except (emu.EmulatorError, subprocess.CalledProcessError):
            pass  # the fixture tries again and reports the error


def pytest_unconfigure(config):
    for machine in getattr(config, "_keel_prestarted", {}).values():
        machine.stop()


CTRL_D = "\x04"


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

    def paste(self, line, text, end=CTRL_D):
        """Run a command that reads pasted text (define -): type the line,
        wait for its invitation, send the text and then `end` (Ctrl-D, or
        Ctrl-C to cancel). Returns what followed the pasted text."""
        self.sendline(line)
        self.expect(r"Ctrl-C cancels\)\:", None)
        self._guard("send", text)
        self._guard("send", end)
        self.expect(re.escape(emu.PROMPT), None)
        out = emu.clean(self.console.before)
        last = text.rstrip("\n").rsplit("\n", 1)[-1]
        if last and last in out:
            out = out[out.rindex(last) + len(last):]
        return out.strip("\n")


def _new_machine(config, emulator, name, image=None):
    """A started machine whose files go to a fresh --keel-workdir/NAME."""
    workdir = os.path.join(config.getoption("--keel-workdir"), name)
    shutil.rmtree(workdir, ignore_errors=True)
    machine = emu.Machine(emulator, image or config.getoption("--keel-image"), cpus=CPUS,
                          mem=MEM_MIB, workdir=workdir)
    try:
        return machine.start()
    except emu.EmulatorError:
        machine.stop()
        raise


def _boot(config, emulator, name, image_builder=None):
    """A Shell on a machine (the prestarted one if any) that has reached its
    first prompt, or a broken Shell saying why it did not."""
    machine = config._keel_prestarted.pop(name, None)
    try:
        if machine is None:
            image = image_builder(config) if image_builder else None
            machine = _new_machine(config, emulator, name, image)
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


@pytest.fixture(scope="session")
def bochs_guests(pytestconfig):
    shell = _boot(pytestconfig, "bochs", "bochs_guests", guests_image)
    yield shell
    shell.machine.stop()


@pytest.fixture(scope="session")
def bochs_linux(pytestconfig):
    shell = _boot(pytestconfig, "bochs", "bochs_linux", linux_image)
    yield shell
    shell.machine.stop()


@pytest.fixture(scope="module")
def kvm(pytestconfig, request):
    shell = _boot(pytestconfig, "kvm", "kvm-" + request.module.__name__)
    yield shell
    shell.machine.stop()
