"""The management shell as an operator uses it, on a machine without VT-x
(QEMU TCG): defining domains from pasted XML and from files, the dumpxml
round trip, undefine, autostart, the errors for domains in the wrong state,
Tab completion, history, quit, and the console password.

What needs running guests (suspend, resume, console, destroy during boot,
create) is in test_linux.py under Bochs.
"""

import os
import re
import subprocess

import pytest

import emu
from conftest import CTRL_D, build_image, _new_machine

pytestmark = pytest.mark.emu("qemu")

CTRL_C = "\x03"
TAB = "\t"
UP = "\x1b[A"
NOT_RUNNING = "error: Requested operation is not valid: domain is not running"

SMALL_XML = """<domain type='keel'>
  <name>pasted</name>
  <memory unit='MiB'>8</memory>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>hello.elf</kernel>
  </os>
</domain>
"""


def names(shell):
    return shell.cmd("list --all --name").split()


def enter(shell):
    """Press Enter on the line typed so far; the output up to the prompt."""
    shell.console.sendline("")
    shell.expect(re.escape(emu.PROMPT))
    return emu.clean(shell.console.before)


class TestDefine:
    def test_paste_defines_a_domain(self, qemu):
        out = qemu.paste("define -", SMALL_XML)
        assert out == "Domain 'pasted' defined from -", out
        assert "pasted" in names(qemu)
        info = qemu.cmd("dominfo pasted")
        assert re.search(r"^Persistent:\s+yes$", info, re.M), info
        assert re.search(r"^Max memory:\s+8192 KiB$", info, re.M), info

    def test_dumpxml_round_trip(self, qemu):
        """define, dumpxml, undefine, define the dump: the same text again."""
        first = qemu.cmd("dumpxml hello")
        assert "<name>hello</name>" in first and "<uuid>" in first, first
        assert qemu.cmd("undefine hello") == "Domain 'hello' has been undefined"
        assert "hello" not in names(qemu)
        assert qemu.cmd("dominfo hello") == "error: failed to get domain 'hello'"
        out = qemu.paste("define -", first + "\n")
        assert out == "Domain 'hello' defined from -", out
        assert qemu.cmd("dumpxml hello") == first

    def test_invalid_paste_defines_nothing(self, qemu):
        before = names(qemu)
        broken = SMALL_XML.replace("pasted", "broken").replace("<os>", "<os>\n    <bogus/>")
        out = qemu.paste("define -", broken)
        assert out.startswith("error: Failed to define domain from -\nerror: XML error: line 5:"), out
        assert "bogus" in out, out
        assert names(qemu) == before

    def test_cancelled_paste_defines_nothing(self, qemu):
        before = names(qemu)
        out = qemu.paste("define -", SMALL_XML.replace("pasted", "cancelled"), CTRL_C)
        assert out.endswith("error: Failed to define domain from -\nerror: cancelled"), out
        assert names(qemu) == before

    def test_define_from_the_boot_medium(self, qemu):
        # hello.xml has no UUID: its second definition gets a new one, which
        # clashes with the domain of that name, as in libvirt.
        out = qemu.cmd("define hello.xml")
        assert out.startswith("error: Failed to define domain from hello.xml\n"
                              "error: operation failed: domain 'hello' already exists with uuid "), out
        assert qemu.cmd("define nosuch.xml") == \
            "error: Failed to open file 'nosuch.xml': No such file or directory"
        assert qemu.cmd("undefine counter1") == "Domain 'counter1' has been undefined"
        assert qemu.cmd("define /keel/counter1.xml") == \
            "Domain 'counter1' defined from /keel/counter1.xml"

    def test_redefining_changes_the_definition(self, qemu):
        uuid = qemu.cmd("domuuid pasted")
        xml = SMALL_XML.replace("<memory unit='MiB'>8", "<uuid>%s</uuid>\n  <memory unit='MiB'>12"
                                % uuid)
        assert qemu.paste("define -", xml) == "Domain 'pasted' defined from -"
        assert "<memory unit='KiB'>12288</memory>" in qemu.cmd("dumpxml pasted")

    def test_create_that_cannot_start_leaves_nothing(self, qemu):
        out = qemu.paste("create -", SMALL_XML.replace("pasted", "transient"))
        assert out.startswith("error: Failed to create domain from -\n"
                              "error: this machine cannot run guests"), out
        assert "transient" not in names(qemu)

    def test_undefine_unknown(self, qemu):
        assert qemu.cmd("undefine nosuch") == "error: failed to get domain 'nosuch'"


class TestWrongState:
    @pytest.mark.parametrize("verb", ["shutdown", "reboot", "destroy", "suspend", "resume"])
    def test_needs_a_running_domain(self, qemu, verb):
        out = qemu.cmd("%s hello" % verb)
        assert out == "error: Failed to %s domain 'hello'\n%s" % (verb, NOT_RUNNING)
        assert qemu.cmd("domstate hello") == "shut off"

    def test_start_says_why_not(self, qemu):
        out = qemu.cmd("start hello")
        assert out.startswith("error: Failed to start domain 'hello'\n"
                              "error: this machine cannot run guests"), out

    def test_vcpuinfo_of_an_inactive_domain(self, qemu):
        out = qemu.cmd("vcpuinfo hello")
        assert out == ("VCPU:           0\nCPU:            N/A\nState:          N/A\n"
                       "CPU time:       N/A\nCPU Affinity:   yy"), out

    def test_missing_argument(self, qemu):
        assert qemu.cmd("suspend") == "error: command 'suspend' requires <domain> option"
        assert qemu.cmd("define") == "error: command 'define' requires <file> option"


class TestAutostart:
    def test_mark_and_unmark(self, qemu):
        assert qemu.cmd("autostart hello") == "Domain 'hello' marked as autostarted"
        assert re.search(r"^Autostart:\s+enable$", qemu.cmd("dominfo hello"), re.M)
        assert qemu.cmd("autostart --disable hello") == "Domain 'hello' unmarked as autostarted"
        assert re.search(r"^Autostart:\s+disable$", qemu.cmd("dominfo hello"), re.M)


class TestEditing:
    def test_tab_completes_command_and_domain(self, qemu):
        qemu.console.send("domna" + TAB)
        qemu.expect(r"domname ")
        qemu.console.send("hel" + TAB)
        qemu.expect(r"hello ")
        assert enter(qemu).strip().endswith("hello")

    def test_tab_completes_options(self, qemu):
        qemu.console.send("list --ina" + TAB)
        qemu.expect(r"--inactive ")
        out = enter(qemu)
        assert "Name" in out and "hello" in out, out

    def test_history_recalls_the_last_command(self, qemu):
        first = qemu.cmd("domuuid hello")
        qemu.console.send(UP)
        qemu.expect(r"domuuid hello")
        assert first in enter(qemu)

    def test_quit_starts_a_new_session(self, qemu):
        qemu.sendline("quit")
        qemu.expect(r"Console session ended\.")
        qemu.expect(re.escape(emu.PROMPT))
        assert qemu.cmd("domname hello") == "hello"


# ---------------------------------------------------------------- login

PASSWORD = "keel-test-pw"


def password_hash(password, salt="keeltest"):
    return subprocess.run(["openssl", "passwd", "-5", "-salt", salt, password], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def locked(pytestconfig):
    """A QEMU machine whose keel.cfg sets a console password."""
    workdir = os.path.join(pytestconfig.getoption("--keel-workdir"), "qemu-login-image")
    os.makedirs(workdir, exist_ok=True)
    image = build_image(pytestconfig.getoption("--keel-image"), workdir,
                        {"keel.cfg": "console_password = %s\n" % password_hash(PASSWORD),
                         "hello.xml": SMALL_XML.replace("pasted", "hello")})
    machine = _new_machine(pytestconfig, "qemu", "qemu-login", image)
    transcript = os.path.join(machine.workdir, "console.log")
    console = machine.console(transcript)
    yield console, transcript
    console.close()
    machine.stop()


def test_console_password(locked):
    """Nothing but the password opens the console; each failure waits; quit
    locks it again; the password never appears on the console."""
    locked, transcript = locked
    locked.expect(r"the console asks for the password set in keel\.cfg", emu.boot_timeout("qemu"))
    locked.expect(r"Password: ")
    locked.sendline("list --all")
    locked.expect(r"Login incorrect\r?\nPassword: ")
    locked.sendline(PASSWORD + "x")
    locked.expect(r"Login incorrect\r?\nPassword: ")
    locked.sendline(PASSWORD)
    locked.expect(re.escape(emu.PROMPT))
    assert "hello" in locked.cmd("list --all --name")
    locked.sendline("quit")
    locked.expect(r"Console session ended\.\r?\nPassword: ")
    locked.send(CTRL_D)   # not a way in
    locked.sendline(PASSWORD)
    locked.expect(re.escape(emu.PROMPT))
    assert locked.cmd("domname hello") == "hello"
    locked.close()
    with open(transcript, encoding="utf-8", errors="replace") as f:
        seen = f.read()
    assert PASSWORD not in seen
    assert "console: wrong password" in seen
