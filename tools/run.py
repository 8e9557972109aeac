#!/usr/bin/python3
"""Boot Keel's image in an emulator with this terminal on its serial console
(`make run`).

    /usr/bin/python3 tools/run.py [--image build/keel.img] [--cpus 2]
        [--mem 512] [--emu kvm|qemu|bochs] [--keep]

The terminal is put in raw mode, so every key (Ctrl-C included) goes to
Keel's shell. Ctrl-A is the escape key, the same for every emulator:
Ctrl-A X quits (and stops the emulator), Ctrl-A Ctrl-A sends one Ctrl-A,
Ctrl-A H shows this help. Without --emu, KVM is used when it offers nested
VT-x, otherwise Bochs (emulated VT-x). The terminal is restored on exit.
"""

import argparse
import os
import select
import signal
import sys
import termios
import time
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

CTRL_A = 0x01
QUIT_KEYS = (ord("x"), ord("X"))
HELP_KEYS = (ord("h"), ord("H"), ord("?"))
POLL_SECONDS = 0.2
WRITE_RETRY_SECONDS = 5
HELP_TEXT = ("Ctrl-A X: quit (stops the emulator)   Ctrl-A Ctrl-A: send Ctrl-A   "
             "Ctrl-A H: this help")


class Quit(Exception):
    """The user asked to leave."""


def banner(args, chosen_by_default):
    line = "keel: %s, %d CPUs, %d MiB, %s. Quit: Ctrl-A then X." % (
        emu.describe(args.emu), args.cpus, args.mem, args.image)
    if chosen_by_default and args.emu == "bochs":
        line += "\nkeel: no KVM with nested VT-x here (%s); --emu qemu (make run EMU=qemu) " \
                "boots faster but cannot run guests." % emu.kvm_status()[1]
    return line


def write_all(fd, data):
    """Write everything to a possibly non-blocking fd, waiting while it is
    full (the emulator reads its serial port at the guest's pace)."""
    deadline = time.monotonic() + WRITE_RETRY_SECONDS
    while data:
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            select.select([], [fd], [], POLL_SECONDS)


class Keys:
    """Turns what the user types into bytes for Keel, handling Ctrl-A."""

    def __init__(self, show):
        self.escape = False
        self.show = show

    def feed(self, data):
        out = bytearray()
        for b in data:
            if self.escape:
                self.escape = False
                if b in QUIT_KEYS:
                    raise Quit()
                if b == CTRL_A:
                    out.append(CTRL_A)
                elif b in HELP_KEYS:
                    self.show("\r\n[%s]\r\n" % HELP_TEXT)
            elif b == CTRL_A:
                self.escape = True
            else:
                out.append(b)
        return bytes(out)


def relay(machine, stdin_fd, stdout_fd):
    """Copy the console to the terminal and keys to the console until the
    user quits or the emulator exits. Returns the emulator's exit status
    (None when the user quit)."""
    keys = Keys(lambda text: write_all(stdout_fd, text.encode()))
    watch = [machine.master_fd, stdin_fd]
    while machine.exited() is None:
        ready, _, _ = select.select(watch, [], [], POLL_SECONDS)
        if machine.master_fd in ready:
            try:
                write_all(stdout_fd, os.read(machine.master_fd, 4096))
            except (BlockingIOError, InterruptedError):
                pass
        if stdin_fd in ready:
            data = os.read(stdin_fd, 1024)
            if not data:            # stdin closed: keep showing the console
                watch.remove(stdin_fd)
                continue
            try:
                write_all(machine.master_fd, keys.feed(data))
            except Quit:
                return None
    return machine.exited()


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default="build/keel.img")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--mem", type=int, default=512, help="MiB")
    ap.add_argument("--emu", choices=emu.EMULATORS, default=None)
    ap.add_argument("--keep", action="store_true",
                    help="keep the emulator's work directory (logs, bochsrc)")
    return ap.parse_args()


def on_signal(signum, frame):
    # Once only: `timeout` and terminals may send the signal twice, and a
    # second one must not interrupt the cleanup the first one started.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def main():
    args = parse_args()
    chosen_by_default = args.emu is None
    if chosen_by_default:
        args.emu = emu.default_emulator()
    workdir = None
    if args.keep:
        workdir = os.path.abspath("build/run-%s" % args.emu)
    # Interactive Bochs follows the wall clock (and idles when Keel idles).
    machine = emu.Machine(args.emu, args.image, args.cpus, args.mem, workdir=workdir,
                          bochs_clock="realtime")
    stdin_fd, stdout_fd = sys.stdin.fileno(), sys.stdout.fileno()
    saved = termios.tcgetattr(stdin_fd) if os.isatty(stdin_fd) else None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    print(banner(args, chosen_by_default), flush=True)
    status = None
    try:
        machine.start()
        if saved is not None:
            tty.setraw(stdin_fd)
        status = relay(machine, stdin_fd, stdout_fd)
    except emu.EmulatorError as e:
        print("keel: %s" % e, file=sys.stderr)
        return 1
    finally:
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
        tail = machine.log_tail() if status else ""
        machine.stop()
    print()
    if status is None:
        print("keel: quit; %s stopped." % args.emu)
    else:
        print("keel: %s exited with status %s" % (args.emu, status))
        if tail:
            print(tail)
    if args.keep:
        print("keel: logs in %s" % machine.workdir)
    return 0 if not status else 1


if __name__ == "__main__":
    sys.exit(main())
