"""Launch Keel's boot image in an emulator and talk to its serial console.

This module owns everything emulator-specific: the QEMU command lines (TCG,
or KVM with nested VMX), the generated bochsrc, the pseudo-terminal that
carries the guest's COM1, the emulator's log files, and clean shutdown. It is
shared by tools/run.py (interactive), tools/bench.py (boot times) and the
system tests (tests/system).

    with emu.Machine("qemu", "build/keel.img", cpus=2, mem=512) as m:
        con = m.console()
        con.wait_prompt()
        print(con.cmd("nodeinfo"))

Every emulator's COM1 is attached to a pty whose master end we hold, so the
console works the same way for all of them (`Machine.master_fd` for a raw
relay, `Machine.console()` for an expect-style object). The emulator's own
messages, Bochs's log and port 0xE9 (Bochs's debug port; QEMU's isa-debugcon
at the same port) go to `<emulator>.out` in the machine's work directory,
capped in size.

Runs with Debian's /usr/bin/python3 and python3-pexpect only.
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import tty

import pexpect
import pexpect.fdpexpect

EMULATORS = ("qemu", "kvm", "bochs")
PROMPT = "keel # "

QEMU = "qemu-system-x86_64"
BOCHS = "bochs"
OVMF = "/usr/share/ovmf/OVMF.fd"
VGABIOS = "/usr/share/vgabios/vgabios.bin"
KVM_DEV = "/dev/kvm"
KVM_INTEL_NESTED = "/sys/module/kvm_intel/parameters/nested"
DEBUG_PORT = 0xE9

# Boot-to-prompt time limits in seconds, before KEEL_TIMEOUT_SCALE. Measured
# on a 2-core build machine: QEMU/TCG hands over to the loader after about
# 3 s, Bochs after about 14 s; the kernel then runs ~20x slower under Bochs.
BOOT_TIMEOUT = {"qemu": 120, "kvm": 60, "bochs": 300}
# Time for one shell command to answer, before KEEL_TIMEOUT_SCALE.
CMD_TIMEOUT = {"qemu": 30, "kvm": 15, "bochs": 120}

# Bochs: emulated instructions per emulated second. Bochs really runs 40-110
# MIPS here, so this keeps guest time near wall-clock time. Bochs's TSC
# counts instructions, so Keel measures a TSC of this frequency (50 MHz).
BOCHS_IPS = 50_000_000
# Bochs's CPU model with VMX, EPT, VPID and unrestricted guest.
BOCHS_CPU_MODEL = "corei7_skylake_x"

# Console output that means the prompt will never come, so that a broken
# image fails in seconds instead of after the whole boot timeout.
BOOT_FAILURES = [
    r"keel-loader: error: [^\r\n]*",   # the loader gave up
    r"CPU 0 stopped",                  # the boot CPU took an exception
    r"UEFI Interactive Shell",         # OVMF found nothing to boot
]
FAILURE_DRAIN_SECONDS = 2

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 3
LOG_LIMIT = 64 * 1024 * 1024   # bytes of emulator output kept on disk
LOG_TAIL = 256 * 1024          # bytes kept from the end once past the limit
CHUNK = 64 * 1024
ANSI_CSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]")

_live_machines = set()


def timeout_scale():
    """Multiplier for every time limit, from KEEL_TIMEOUT_SCALE (slow CI)."""
    try:
        return max(float(os.environ.get("KEEL_TIMEOUT_SCALE", "1")), 0.1)
    except ValueError:
        return 1.0


def boot_timeout(emu):
    return BOOT_TIMEOUT[emu] * timeout_scale()


def cmd_timeout(emu):
    return CMD_TIMEOUT[emu] * timeout_scale()


def kvm_status():
    """(usable, reason): can QEMU run Keel under KVM with nested VMX here?"""
    if not os.path.exists(KVM_DEV):
        return False, "no /dev/kvm"
    if not os.access(KVM_DEV, os.R_OK | os.W_OK):
        return False, "no permission to open /dev/kvm"
    try:
        with open(KVM_INTEL_NESTED) as f:
            nested = f.read().strip()
    except OSError:
        return False, "kvm_intel is not loaded (no Intel VT-x host)"
    if nested not in ("Y", "1"):
        return False, "kvm_intel nested VMX is off (%s=%s)" % (KVM_INTEL_NESTED, nested)
    return True, "nested VMX available"


def kvm_available():
    return kvm_status()[0]


def default_emulator():
    """KVM when it can give Keel VT-x, else Bochs (the only other emulator
    with VMX). QEMU/TCG runs everything except guests, so it is never the
    silent default."""
    return "kvm" if kvm_available() else "bochs"


def describe(emu):
    """One line telling a person what the emulator gives Keel."""
    return {
        "qemu": "QEMU (TCG, no VT-x: everything but guests)",
        "kvm": "QEMU with KVM (nested VT-x)",
        "bochs": "Bochs (emulated VT-x with EPT; slow)",
    }[emu]


def check_tools(emu):
    """Raise EmulatorError naming the missing package if emu cannot run."""
    need = [(OVMF, "ovmf")]
    if emu == "bochs":
        need += [(shutil.which(BOCHS), "bochs"), (VGABIOS, "vgabios")]
    else:
        need += [(shutil.which(QEMU), "qemu-system-x86")]
    for path, package in need:
        if not path or not os.path.exists(path):
            raise EmulatorError("%s needs the Debian package %s (run tools/setup-deps.sh)"
                                % (emu, package))
    if emu == "kvm" and not kvm_available():
        raise EmulatorError("kvm: " + kvm_status()[1])


class EmulatorError(Exception):
    """The emulator could not start, died, or the console did not answer."""


def _find_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up now: the child must not dlopen() between fork and exec.
_prctl = _find_prctl()


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it if the Python process dies,
    so that a killed test run leaves no emulator behind."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _cleanup_all():
    for m in list(_live_machines):
        m.stop()


atexit.register(_cleanup_all)


class CappedLog:
    """Copies an emulator's output (its messages, Bochs's log, the 0xE9
    debug port) from a pipe to a file, keeping at most LOG_LIMIT bytes: a
    guest stuck in a loop can make Bochs log gigabytes. Past the limit only
    the most recent LOG_TAIL bytes are kept, and written at the end."""

    def __init__(self, pipe, path):
        self._pipe = pipe
        self._file = open(path, "wb")
        self._written = self._dropped = 0
        self._recent = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._copy, name="emu-log", daemon=True)
        self._thread.start()

    def _copy(self):
        while True:
            try:
                data = self._pipe.read1(CHUNK)
            except (OSError, ValueError):   # closed by finish()
                break
            if not data:
                break
            with self._lock:
                if self._file.closed:
                    break
                self._recent += data
                del self._recent[:-LOG_TAIL]
                keep = data[:max(LOG_LIMIT - self._written, 0)]
                self._file.write(keep)
                self._file.flush()
                self._written += len(keep)
                self._dropped += len(data) - len(keep)

    def tail(self):
        with self._lock:
            return self._recent.decode("utf-8", "replace")

    def finish(self):
        """After the emulator has exited: drain the pipe, close the file."""
        self._thread.join(STOP_GRACE_SECONDS)
        with self._lock:
            if self._dropped and not self._file.closed:
                self._file.write(b"\n[... %d bytes dropped; the last %d follow ...]\n"
                                 % (self._dropped, len(self._recent)))
                self._file.write(bytes(self._recent))
            self._file.close()
        self._pipe.close()


class Machine:
    """One emulator process running Keel's image, with COM1 on a pty.

    workdir: where logs and (for Bochs) the disk copy go. By default a fresh
    temporary directory, removed by stop(); a given directory is kept (only
    the disk copy is removed) so that logs survive for inspection.
    """

    def __init__(self, emu, image, cpus=2, mem=512, workdir=None, extra_args=(),
                 bochs_clock="none"):
        if emu not in EMULATORS:
            raise EmulatorError("unknown emulator %r (choose from %s)" % (emu, ", ".join(EMULATORS)))
        self.emu = emu
        self.image = os.path.abspath(image)
        self.cpus = int(cpus)
        self.mem = int(mem)
        self.extra_args = list(extra_args)
        self.bochs_clock = bochs_clock
        self._own_workdir = workdir is None
        self.workdir = workdir
        self.proc = None
        self.master_fd = self._slave_fd = None
        self._console = None
        self._disk_copy = None
        self._log = None
        self.log_path = None
        self.started_at = None

    # ------------------------------------------------------------ lifecycle
    def start(self):
        if not os.path.isfile(self.image):
            raise EmulatorError("no image at %s (run make)" % self.image)
        check_tools(self.emu)
        if self._own_workdir:
            self.workdir = tempfile.mkdtemp(prefix="keel-%s-" % self.emu)
        else:
            os.makedirs(self.workdir, exist_ok=True)
        self.master_fd, self._slave_fd = os.openpty()
        # Raw, so that neither end rewrites bytes (no CR/LF mapping, no
        # echo, Ctrl-C is a byte for Keel). We keep the slave open for the
        # whole run: the master then never reads EIO while the emulator
        # (re)opens the device, and death is noticed through the process.
        tty.setraw(self._slave_fd)
        os.set_blocking(self.master_fd, False)
        pty_path = os.ttyname(self._slave_fd)
        argv = self._bochs_argv(pty_path) if self.emu == "bochs" else self._qemu_argv(pty_path)
        self.log_path = os.path.join(self.workdir, self.emu + ".out")
        self.started_at = time.monotonic()
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, cwd=self.workdir,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        except OSError as e:
            self.stop()
            raise EmulatorError("cannot run %s: %s" % (argv[0], e)) from e
        self._log = CappedLog(self.proc.stdout, self.log_path)
        _live_machines.add(self)
        return self

    def stop(self):
        """Kill the emulator's process group and release everything. Safe to
        call more than once and from error paths (if interrupted, the
        exit handler finishes the job)."""
        if self.proc is not None and self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait()
        if self._log is not None:
            self._log.finish()
        if self._console is not None:
            self._console.close()
            self._console = None
        for fd in (self.master_fd, self._slave_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master_fd = self._slave_fd = None
        if self._own_workdir and self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self._disk_copy:
            for path in (self._disk_copy, self._disk_copy + ".lock"):
                if os.path.exists(path):
                    os.unlink(path)
        _live_machines.discard(self)

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def exited(self):
        """The emulator's exit status, or None while it runs."""
        return None if self.proc is None else self.proc.poll()

    def elapsed(self):
        return time.monotonic() - self.started_at

    def log_tail(self, lines=20):
        """The end of the emulator's own output (errors, Bochs panics)."""
        if self._log is None:
            return ""
        return "\n".join(self._log.tail().splitlines()[-lines:])

    def console(self, transcript=None):
        """The serial console as an expect-style Console (created once)."""
        if self._console is None:
            self._console = Console(self, transcript)
        return self._console

    # ------------------------------------------------------------ QEMU
    def _qemu_argv(self, pty_path):
        argv = [QEMU, "-name", "keel", "-no-user-config", "-nodefaults",
                "-machine", "q35", "-bios", OVMF,
                "-smp", "%d,sockets=1,cores=%d,threads=1" % (self.cpus, self.cpus),
                "-m", str(self.mem),
                "-vga", "std", "-display", "none",
                "-chardev", "serial,id=com1,path=" + pty_path, "-serial", "chardev:com1",
                # Port 0xE9 into our capped pipe (qemu.out), as with Bochs.
                "-debugcon", "file:/dev/stdout",
                "-global", "isa-debugcon.iobase=0x%x" % DEBUG_PORT,
                # The image as a USB stick; snapshot=on leaves the file untouched.
                "-device", "qemu-xhci,id=xhci",
                "-drive", "if=none,id=stick,format=raw,snapshot=on,file=" + self.image,
                "-device", "usb-storage,bus=xhci.0,drive=stick"]
        if self.emu == "kvm":
            argv += ["-enable-kvm", "-cpu", "host,+vmx"]
        else:
            argv += ["-accel", "tcg", "-cpu", "max"]
        return argv + self.extra_args

    # ------------------------------------------------------------ Bochs
    def _bochs_argv(self, pty_path):
        # Bochs writes to its disk and leaves "<disk>.lock" beside it: give it
        # a private copy so the build's image stays clean and never locked.
        self._disk_copy = os.path.join(self.workdir, "disk.img")
        for path in (self._disk_copy, self._disk_copy + ".lock"):
            if os.path.exists(path):
                os.unlink(path)
        shutil.copyfile(self.image, self._disk_copy)
        rc = os.path.join(self.workdir, "bochsrc")
        with open(rc, "w") as f:
            f.write(self._bochsrc(pty_path))
        # Debian's Bochs has its debugger compiled in and stops before the
        # first instruction: continue, and quit if the simulation ever stops.
        cmds = os.path.join(self.workdir, "debugger.rc")
        with open(cmds, "w") as f:
            f.write("c\nquit\n")
        return [BOCHS, "-q", "-f", rc, "-rc", cmds] + self.extra_args

    def _bochsrc(self, pty_path):
        return "\n".join([
            "# Generated by tools/emu.py for one run of Keel.",
            # One socket with N cores, like QEMU's -smp above.
            "cpu: model=%s, count=1:%d:1, ips=%d, reset_on_triple_fault=1, ignore_bad_msrs=1"
            % (BOCHS_CPU_MODEL, self.cpus, BOCHS_IPS),
            "memory: guest=%d, host=%d" % (self.mem, self.mem),
            "romimage: file=" + OVMF,
            "vgaromimage: file=" + VGABIOS,
            "pci: enabled=1, chipset=i440fx",
            "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14",
            "ata0-master: type=disk, path=%s, mode=flat" % self._disk_copy,
            "boot: disk",
            # No nogui in Debian's build: rfb with timeout=0 runs headless
            # (it listens on the first free VNC port from 5900).
            'display_library: rfb, options="timeout=0"',
            # ALSA aborts Bochs ("buffer overflow detected") on machines
            # without a sound card: use the dummy driver, no PC speaker.
            "sound: driver=dummy",
            "speaker: enabled=0",
            "mouse: enabled=0",
            # none: as fast as the host allows, repeatable instruction counts.
            # realtime: guest time follows the wall clock (interactive use).
            "clock: sync=%s, time0=utc" % self.bochs_clock,
            # Into our capped pipe (bochs.out), with the 0xE9 output.
            "log: /dev/stdout",
            "panic: action=fatal",
            "error: action=report",
            "info: action=report",
            "debug: action=ignore",
            "port_e9_hack: enabled=1",
            "com1: enabled=1, mode=term, dev=" + pty_path,
            "",
        ])


class Console:
    """Keel's serial console, expect-style, on top of pexpect's fdspawn.

    `spawn` is the underlying pexpect object (before/after/match are kept
    up to date on it). expect() differs from pexpect's in one way: it notices
    when the emulator has died instead of waiting for the whole timeout.
    Output has CR LF line ends as Keel sends them; cmd() returns clean text.
    """

    def __init__(self, machine, transcript=None):
        self.machine = machine
        self.emu = machine.emu
        self.spawn = pexpect.fdpexpect.fdspawn(machine.master_fd, encoding="utf-8",
                                               codec_errors="replace", timeout=None,
                                               maxread=4096, searchwindowsize=None)
        self._transcript = None
        if transcript:
            self._transcript = open(transcript, "a", encoding="utf-8")
            self.spawn.logfile_read = self._transcript
        # Seconds between characters we type: 0. QEMU's UART flow control
        # paces a pty; Bochs feeds its 16-byte receive FIFO at the line rate
        # and drops what overflows ("receive FIFO overflow" in bochs.out),
        # which Keel prevents by taking console input by interrupt. Raise it
        # to see whether a failure depends on typing speed.
        self.char_delay = 0.0

    def close(self):
        if self._transcript:
            self._transcript.close()
            self._transcript = None

    @property
    def before(self):
        return self.spawn.before

    @property
    def after(self):
        return self.spawn.after

    @property
    def match(self):
        return self.spawn.match

    def send(self, text):
        if self.char_delay <= 0:
            self.spawn.send(text)
            return
        for ch in text:
            self.spawn.send(ch)
            time.sleep(self.char_delay)

    def sendline(self, line=""):
        """Type a line and press Enter (a terminal sends CR)."""
        self.send(line + "\r")

    def expect(self, pattern, timeout=None):
        """Like pexpect's expect (str, regex or list; returns the index), with
        timeout None meaning this emulator's command time limit."""
        if timeout is None:
            timeout = cmd_timeout(self.emu)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return self.spawn.expect(pattern, timeout=max(min(left, 1.0), 0.01))
            except pexpect.TIMEOUT:
                status = self.machine.exited()
                if status is not None:
                    raise EmulatorError("%s exited with status %s while waiting for %r\n%s"
                                        % (self.emu, status, pattern, self._context()))
                if time.monotonic() >= deadline:
                    raise EmulatorError("%s: no %r within %.0f s\n%s"
                                        % (self.emu, pattern, timeout, self._context()))

    def expect_exact(self, text, timeout=None):
        return self.expect(re.escape(text), timeout)

    def _context(self):
        recent = clean(self.spawn.buffer or "")[-1500:]
        parts = ["--- console (unmatched output) ---", recent or "(nothing)"]
        tail = self.machine.log_tail()
        if tail:
            parts += ["--- %s log (%s) ---" % (self.emu, self.machine.log_path), tail]
        return "\n".join(parts)

    def wait_prompt(self, timeout=None):
        """Wait for the first shell prompt after power-on or reset; returns
        the boot output (cleaned). Raises EmulatorError at once when the
        output shows that the boot failed (BOOT_FAILURES)."""
        timeout = boot_timeout(self.emu) if timeout is None else timeout
        which = self.expect([re.escape(PROMPT)] + BOOT_FAILURES, timeout)
        if which == 0:
            return clean(self.spawn.before)
        failure = self.spawn.after
        seen = self.spawn.before + failure
        try:   # the lines after the failure (a register dump) help most
            self.spawn.expect(pexpect.TIMEOUT, timeout=FAILURE_DRAIN_SECONDS)
            seen += self.spawn.before
        except pexpect.EOF:
            pass
        raise EmulatorError("%s: boot failed (%r):\n%s"
                            % (self.emu, failure.strip(), clean(seen)[-2500:]))

    def cmd(self, line, timeout=None):
        """Run one shell command: type it, wait for its echo and the next
        prompt, return the text in between (LF line ends, no escape codes,
        no trailing newline). A prompt printed before the echo (for example
        by output that arrived late) is skipped."""
        self.sendline(line)
        seen = ""
        while True:
            self.expect(re.escape(PROMPT), timeout)
            seen += clean(self.spawn.before) + PROMPT
            out = _after_echo(seen, line)
            if out is not None:
                return out


def clean(text):
    """Console text as a person reads it: LF line ends, no ANSI escapes,
    backspace-erase sequences applied."""
    text = ANSI_CSI.sub("", text).replace("\r\n", "\n").replace("\r", "")
    while "\b" in text:
        new = re.sub(r"[^\b\n]\b", "", text, count=1)
        if new == text:
            text = text.replace("\b", "")
            break
        text = new
    return text


def _after_echo(seen, line):
    """The output that follows the echo of `line` and precedes the last
    prompt in `seen`, or None if the echo has not arrived yet."""
    echo = re.search(r"(^|%s)%s\n" % (re.escape(PROMPT), re.escape(line)), seen, re.M)
    if echo is None:
        return None
    out = seen[echo.end():]
    prompt_at = out.rfind(PROMPT)
    out = out[:prompt_at] if prompt_at >= 0 else out
    return out.rstrip("\n")
