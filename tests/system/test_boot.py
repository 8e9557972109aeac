"""System tests: boot Keel's image in the emulators and check the serial
shell against its contract (virsh-style output, errors, the exception path,
reboot, and VMX under Bochs). Fixtures are in conftest.py.
"""

import os
import re
import xml.etree.ElementTree as ET

import pytest

import emu  # tools/emu.py, put on sys.path by conftest.py

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# virsh nodeinfo: each label padded to 20 columns, then a space and the value.
NODEINFO_LABELS = [
    "CPU model", "CPU(s)", "CPU frequency", "CPU socket(s)", "Core(s) per socket",
    "Thread(s) per core", "NUMA cell(s)", "Memory size", "Virtualization",
]
NODEINFO_VALUE_COLUMN = 21
MEM_KIB = 512 * 1024
MIN_MEM_SHARE = 0.6
VTX_FULL = "VT-x (EPT, VPID, unrestricted guest)"
HELP_COMMANDS = ["help", "version", "nodeinfo", "dmesg", "host-reboot", "quit", "exit",
                 "list", "define", "create", "undefine", "start", "shutdown", "reboot",
                 "destroy", "suspend", "resume", "autostart", "dumpxml", "console", "dominfo",
                 "domid", "domuuid", "domname", "domstate", "vcpuinfo", "domstats"]


def read_version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.read().strip()


def parse_nodeinfo(text):
    """nodeinfo output as {label: value}; asserts virsh's layout line by line."""
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^([^:]+):( +)(\S.*)$", line)
        assert m, "nodeinfo line not in 'Label:   value' form: %r" % line
        assert len(m.group(1)) + 1 + len(m.group(2)) == NODEINFO_VALUE_COLUMN, \
            "nodeinfo value not at column %d: %r" % (NODEINFO_VALUE_COLUMN, line)
        fields[m.group(1)] = m.group(3).rstrip()
    present = [label for label in fields if label in NODEINFO_LABELS]
    assert present == NODEINFO_LABELS, \
        "nodeinfo must have %r in this order (extra lines allowed), has %r" \
        % (NODEINFO_LABELS, list(fields))
    return fields


def int_with_unit(value, unit):
    m = re.fullmatch(r"(\d+) %s" % re.escape(unit), value)
    assert m, "expected '<number> %s', got %r" % (unit, value)
    return int(m.group(1))


def check_nodeinfo_common(fields, cpus):
    assert fields["CPU(s)"] == str(cpus)
    assert fields["CPU model"]
    assert int_with_unit(fields["CPU frequency"], "MHz") > 0
    assert fields["CPU socket(s)"] == "1"
    assert fields["Core(s) per socket"] == str(cpus)
    assert fields["Thread(s) per core"] == "1"
    assert fields["NUMA cell(s)"] == "1"
    mem = int_with_unit(fields["Memory size"], "KiB")
    assert MIN_MEM_SHARE * MEM_KIB < mem <= MEM_KIB, "memory size %d KiB" % mem


def check_list_table(text):
    lines = text.splitlines()
    assert len(lines) >= 2, "list --all printed %r" % text
    assert re.fullmatch(r" Id +Name +State *", lines[0]), "header: %r" % lines[0]
    assert re.fullmatch(r"-{10,}", lines[1].strip()), "rule: %r" % lines[1]


# ---------------------------------------------------------------- QEMU (TCG)
@pytest.mark.emu("qemu")
class TestQemu:
    """QEMU/TCG booting the image from a USB stick, 2 CPUs, 512 MiB."""

    def test_prompt(self, qemu):
        assert qemu.boot_log.strip(), "no output before the first prompt"

    def test_nodeinfo(self, qemu):
        fields = parse_nodeinfo(qemu.cmd("nodeinfo"))
        check_nodeinfo_common(fields, 2)
        assert fields["Virtualization"].startswith("unavailable: "), fields["Virtualization"]

    def test_list_all(self, qemu):
        check_list_table(qemu.cmd("list --all"))

    def test_unknown_command(self, qemu):
        assert qemu.cmd("frobnicate") == "error: unknown command: 'frobnicate'"
        # ...and the shell still answers.
        check_list_table(qemu.cmd("list --all"))

    def test_empty_line(self, qemu):
        assert qemu.cmd("") == ""

    def test_help(self, qemu):
        out = qemu.cmd("help")
        missing = [c for c in HELP_COMMANDS if not re.search(r"(?<![\w-])%s(?![\w-])" % c, out)]
        assert not missing, "help does not list %s:\n%s" % (missing, out)

    def test_domain_queries(self, qemu):
        """virsh's one-line queries on a defined domain that is not running."""
        assert qemu.cmd("domid hello") == "-"
        uuid = qemu.cmd("domuuid hello")
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", uuid), uuid
        assert qemu.cmd("domname " + uuid) == "hello"
        assert qemu.cmd("domstate hello") == "shut off"
        assert qemu.cmd("domstate hello --reason") == "shut off (unknown)"
        assert qemu.cmd("domid nosuch") == "error: failed to get domain 'nosuch'"

    def test_list_names_and_uuids(self, qemu):
        names = qemu.cmd("list --all --name").split()
        assert sorted(names) == ["counter1", "counter2", "hello", "linux"], names
        uuids = qemu.cmd("list --all --uuid").split()
        assert len(uuids) == 4 and qemu.cmd("domuuid hello") in uuids, uuids
        both = qemu.cmd("list --all --uuid --name").splitlines()
        assert "%s hello" % qemu.cmd("domuuid hello") in both, both
        assert qemu.cmd("list --name") == "", "no domain runs without VT-x"

    def test_domstats_of_a_stopped_domain(self, qemu):
        out = qemu.cmd("domstats hello")
        assert out.splitlines()[0] == "Domain: 'hello'", out
        assert "  state.state=5" in out and "  vcpu.maximum=1" in out, out
        assert "keel.exits." not in out, "it never ran: " + out

    def test_dumpxml(self, qemu):
        """dumpxml gives libvirt XML of the definition, UUID included."""
        out = qemu.cmd("dumpxml linux")
        root = ET.fromstring(out)
        assert root.tag == "domain" and root.get("type") == "keel", out
        assert root.findtext("name") == "linux"
        assert root.findtext("uuid") == qemu.cmd("domuuid linux")
        assert root.findtext("vcpu") == "2"
        assert root.findtext("os/kernel") == "vmlinuz"
        disk = root.find("devices/disk")
        assert disk.find("source").get("file") == "disk.img"
        assert disk.find("target").get("dev") == "vda"
        assert disk.find("readonly") is not None
        assert root.find("devices/rng").get("model") == "virtio"

    def test_version(self, qemu):
        out = qemu.cmd("version")
        assert re.search(r"\bkeel\b", out, re.I), out
        assert read_version() in out, out

    def test_dmesg(self, qemu):
        out = qemu.cmd("dmesg")
        assert re.search(r"keel", out, re.I), out
        assert "smp:" in out, out

    def test_debug_exception(self, qemu):
        """CPU 1 executes an invalid instruction: a dump, CPU 1 stops, the
        shell on CPU 0 carries on. Runs last on this machine (CPU 1 is gone)."""
        qemu.sendline("debug-exception --cpu 1")
        qemu.expect(r"CPU 1 stopped")
        dump = qemu.console.before
        assert "#UD" in dump, dump
        assert "RIP" in dump, dump
        check_list_table(qemu.cmd("list --all"))


@pytest.mark.emu("qemu")
def test_reboot(qemu_fresh):
    """host-reboot resets the machine: the firmware runs again and boots Keel."""
    qemu_fresh.sendline("host-reboot")
    qemu_fresh.expect(r"BdsDxe", timeout=emu.boot_timeout("qemu"))
    qemu_fresh.wait_prompt()
    assert read_version() in qemu_fresh.cmd("version")


# ---------------------------------------------------------------- Bochs (VMX)
@pytest.mark.emu("bochs")
class TestBochs:
    """Bochs with emulated VT-x and EPT, ATA disk, 2 CPUs."""

    def test_prompt(self, bochs):
        assert bochs.boot_log.strip(), "no output before the first prompt"

    def test_nodeinfo_vtx(self, bochs):
        fields = parse_nodeinfo(bochs.cmd("nodeinfo"))
        check_nodeinfo_common(fields, 2)
        assert fields["Virtualization"] == VTX_FULL

    def test_dmesg_vmxon(self, bochs):
        out = bochs.cmd("dmesg")
        for cpu in range(2):
            assert "vmx: cpu %d: VMXON ok" % cpu in out, out

    def test_reboot(self, bochs):
        """Runs last on this machine: reset through port 0xCF9 (Bochs has
        no ACPI tables), the firmware runs again and Keel comes back with
        VMX on both CPUs. Needs the PIIX4 quirk in kernel/power.c."""
        bochs.sendline("host-reboot")
        bochs.expect(r"BdsDxe", timeout=emu.boot_timeout("bochs"))
        bochs.wait_prompt()
        out = bochs.cmd("dmesg")
        assert "vmx: cpu 1: VMXON ok" in out, out


# ---------------------------------------------------------------- QEMU/KVM
@pytest.mark.emu("kvm")
def test_kvm_nodeinfo_vtx(kvm):
    """Nested VT-x under KVM (runs only where the host offers it)."""
    fields = parse_nodeinfo(kvm.cmd("nodeinfo"))
    assert fields["CPU(s)"] == "2"
    assert fields["Virtualization"].startswith("VT-x"), fields["Virtualization"]
