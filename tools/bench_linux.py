#!/usr/bin/python3
"""Linux boot under Keel against the same boot without Keel, both in Bochs:
the cost of virtualization (part of `make bench`).

    /usr/bin/python3 tools/bench_linux.py [--build build]
    /usr/bin/python3 tools/bench.py --only linux     (the same, from bench.py)

Boots Debian's cloud kernel with the initrd of tests/linux and keel.bench=1
on its command line: /init prints "KEEL-INIT-REACHED uptime=<s>" and powers
off at once (ACPI S5). Two runs, one after the other so that they do not
compete for the host's CPUs:

  under Keel  an image of the build's loader and kernel whose configuration
              has the one domain `linux` of the system test (2 vCPUs,
              128 MiB, virtio disk and rng; tests/system/conftest.py) set to
              autostart, in Bochs with 2 CPUs and 512 MiB. Figures: Keel's
              log timestamps of the domain's start and power-off (Keel's
              clock is Bochs's TSC, i.e. emulated time), wall-clock times,
              the guest's uptime at /init, and the VM exits per reason.
  directly    OVMF in Bochs with 2 CPUs and 128 MiB boots the same vmlinuz
              and initrd.img through the kernel's EFI stub: the disk is an
              ESP without \\EFI\\BOOT\\BOOTX64.EFI, so OVMF falls back to its
              built-in UEFI Shell, whose startup.nsh runs the kernel with a
              command line (a kernel started as BOOTX64.EFI would get none).
              No virtio devices: the guest never gets to use them.

Both command lines carry `quiet`: Bochs's UART sends each byte at the line
rate in emulated time (87 us at 115200 baud) and Linux waits for it, while
Keel's virtual UART takes bytes at once, so the kernel log would otherwise
weigh seconds of emulated time on one side only.

Emulated time is instructions / Bochs's ips setting per CPU (tools/emu.py,
clock sync=none), so the guest's uptime and Keel's timestamps do not depend
on the host's load; wall-clock times do.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import emu  # noqa: E402
import conftest  # noqa: E402  (the system test's domain definition and image builder)

KEEL_CPUS = 2
KEEL_MEM_MIB = 512
DIRECT_CPUS = conftest.LINUX_VCPUS
DIRECT_MEM_MIB = conftest.LINUX_MIB
BENCH_ARGS = "keel.bench=1 quiet"
DIRECT_CMDLINE = ("console=ttyS0 initrd=\\initrd.img panic=-1 keel.cpus=%d %s"
                  % (DIRECT_CPUS, BENCH_ARGS))
# Seconds from Keel's prompt (or OVMF's shell) to the guest's power-off,
# before KEEL_TIMEOUT_SCALE.
LINUX_TIMEOUT = 1800
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ESP_MIB = 64

INIT_REACHED = r"KEEL-INIT-REACHED uptime=([0-9.]+)"
LOG_STAMP = r"\[\s*([0-9]+\.[0-9]+)\] "
STARTED = r"domain linux: started"
STOPPED = r"domain linux: shut off: ([^\r\n]*)"
EXITS = r"domain linux: exits: ([^\r\n]*)"
NOT_STARTED = r"domain linux: cannot start[^\r\n]*"
# The UEFI Shell's countdown before it runs startup.nsh; any key but ESC
# skips the rest of its 5 (emulated) seconds.
SHELL_COUNTDOWN = r"startup\.nsh or any other key to continue"


class BenchError(Exception):
    """The run did not produce its figures (the message says why)."""


def timeout():
    return LINUX_TIMEOUT * emu.timeout_scale()


# ------------------------------------------------------------ under Keel
def keel_image(build, workdir):
    """A Keel image with the system test's `linux` domain, autostarted, its
    command line ending in BENCH_ARGS."""
    info = conftest.linux_artifacts()
    xml = conftest.linux_xml(info).replace("</cmdline>", " %s</cmdline>" % BENCH_ARGS)
    files = {"linux.xml": xml, "autostart": "linux\n"}
    extra = [os.path.join(info["dir"], f) for f in ("vmlinuz", "initrd.img", "disk.img")]
    return conftest.build_image(os.path.join(build, "keel.img"), workdir, files, extra)


def log_time(dmesg, pattern):
    """Keel's timestamp (s since its boot) of the last log line matching."""
    found = re.findall(LOG_STAMP + pattern, dmesg)
    if not found:
        raise BenchError("Keel's log has no %r" % pattern)
    last = found[-1]
    return float(last[0] if isinstance(last, tuple) else last)


def parse_exits(text):
    """{reason: count} from the text of Keel's "exits:" line."""
    counts = {}
    for item in text.split(", "):
        name, _, count = item.rpartition(" ")
        if name and count.isdigit():
            counts[name] = int(count)
    return counts


def run_keel(build, workdir):
    image = keel_image(build, os.path.join(workdir, "image"))
    with emu.Machine("bochs", image, cpus=KEEL_CPUS, mem=KEEL_MEM_MIB,
                     workdir=os.path.join(workdir, "bochs")) as machine:
        con = machine.console(os.path.join(machine.workdir, "console.log"))
        if con.expect([STARTED, NOT_STARTED] + emu.BOOT_FAILURES, emu.boot_timeout("bochs")):
            raise BenchError("the domain did not start: %s" % con.after.strip())
        wall_started = machine.elapsed()
        con.wait_prompt()
        con.sendline("console linux")
        con.expect(INIT_REACHED, timeout())
        uptime = float(con.match.group(1))
        wall_init = machine.elapsed()
        # The console detaches by itself once the domain has stopped.
        con.expect(re.escape(emu.PROMPT), timeout())
        wall_off = machine.elapsed()
        dmesg = con.cmd("dmesg")
    exits = re.findall(EXITS, dmesg)
    return {
        "keel_started": log_time(dmesg, STARTED),
        "keel_off": log_time(dmesg, STOPPED),
        "reason": re.findall(STOPPED, dmesg)[-1],
        "exits": parse_exits(exits[-1]) if exits else {},
        "wall_started": wall_started, "wall_init": wall_init, "wall_off": wall_off,
        "uptime": uptime,
    }


def keel_lines(r):
    virt = r["keel_off"] - r["keel_started"]
    lines = [
        "  Keel's log: started at %.3f s, shut off at %.3f s (%s)"
        % (r["keel_started"], r["keel_off"], r["reason"]),
        "  emulated time, start to power-off:   %8.2f s (Keel's TSC clock)" % virt,
        "  guest uptime at /init:               %8.2f s" % r["uptime"],
        "  wall clock, start to /init:          %8.1f s" % (r["wall_init"] - r["wall_started"]),
        "  wall clock, start to power-off:      %8.1f s" % (r["wall_off"] - r["wall_started"]),
        "  instructions, start to power-off: at most %.2f G per CPU (%d M ips x %.2f s)"
        % (emu.BOCHS_IPS * virt / 1e9, emu.BOCHS_IPS // 1000000, virt),
    ]
    total = sum(r["exits"].values())
    lines.append("  VM exits: %d in all, %.0f per emulated ms of the run"
                 % (total, total / max(virt * 1000, 1e-9)))
    for name, count in sorted(r["exits"].items(), key=lambda kv: -kv[1]):
        lines.append("    %-28s %10d  %5.1f%%" % (name, count, 100.0 * count / max(total, 1)))
    return lines


# ------------------------------------------------------------ directly
def efi_disk(path, info, workdir):
    """A GPT disk with one ESP holding vmlinuz, initrd.img and a startup.nsh
    that runs the kernel, and no default loader (as tools/mkimage.sh builds
    Keel's, with sfdisk and mtools)."""
    script = os.path.join(workdir, "startup.nsh")
    with open(script, "w") as f:
        f.write("fs0:\\vmlinuz %s\r\n" % DIRECT_CMDLINE)
    with open(path, "wb") as f:
        f.truncate(ESP_MIB * 1024 * 1024)
    subprocess.run(["sfdisk", "--quiet", path], check=True,
                   input='label: gpt\nstart=2048, type=%s, name="BENCH"\n' % ESP_TYPE, text=True)
    part = path + "@@1M"
    subprocess.run(["mformat", "-i", part, "-F", "-v", "BENCH", "::"], check=True)
    for src in (os.path.join(info["dir"], "vmlinuz"), os.path.join(info["dir"], "initrd.img"),
                script):
        subprocess.run(["mcopy", "-i", part, src, "::/" + os.path.basename(src)], check=True)
    return path


def run_direct(workdir):
    info = conftest.linux_artifacts()
    os.makedirs(workdir, exist_ok=True)
    disk = efi_disk(os.path.join(workdir, "efi-disk.img"), info, workdir)
    with emu.Machine("bochs", disk, cpus=DIRECT_CPUS, mem=DIRECT_MEM_MIB,
                     workdir=os.path.join(workdir, "bochs")) as machine:
        con = machine.console(os.path.join(machine.workdir, "console.log"))
        con.expect(SHELL_COUNTDOWN, emu.boot_timeout("bochs"))
        wall_shell = machine.elapsed()
        con.send("\r")
        con.expect(INIT_REACHED, timeout())
        return {"wall_shell": wall_shell, "wall_init": machine.elapsed(),
                "uptime": float(con.match.group(1))}


def direct_lines(r):
    return [
        "  guest uptime at /init:               %8.2f s" % r["uptime"],
        "  wall clock, Bochs start to UEFI Shell: %6.1f s" % r["wall_shell"],
        "  wall clock, UEFI Shell to /init:     %8.1f s (with OVMF reading the files)"
        % (r["wall_init"] - r["wall_shell"]),
        "  wall clock, Bochs start to /init:    %8.1f s" % r["wall_init"],
        "  instructions, kernel to /init: at most %.2f G per CPU (%d M ips x %.2f s)"
        % (emu.BOCHS_IPS * r["uptime"] / 1e9, emu.BOCHS_IPS // 1000000, r["uptime"]),
    ]


def comparison_lines(keel, direct):
    wall_keel = keel["wall_init"] - keel["wall_started"]
    wall_direct = direct["wall_init"] - direct["wall_shell"]
    row = "  %-36s %9.2f s %9.2f s %8.2fx"
    return [
        "  %-36s %11s %11s %9s" % ("", "under Keel", "directly", "ratio"),
        row % ("guest uptime at /init (emulated)", keel["uptime"], direct["uptime"],
               keel["uptime"] / direct["uptime"]),
        row % ("wall clock, kernel start to /init", wall_keel, wall_direct,
               wall_keel / wall_direct),
    ]


def run(build, workdir=None):
    """Print both runs' figures and the comparison; True if a run failed."""
    failed, results = False, {}
    with tempfile.TemporaryDirectory(prefix="keel-bench-linux-") as tmp:
        workdir = workdir or tmp
        for key, title, fn, fmt in (
                ("keel", "under Keel in Bochs (%d CPUs, %d MiB; domain: %d vCPUs, %d MiB)"
                 % (KEEL_CPUS, KEEL_MEM_MIB, conftest.LINUX_VCPUS, conftest.LINUX_MIB),
                 lambda: run_keel(build, os.path.join(workdir, "keel")), keel_lines),
                ("direct", "directly in Bochs, OVMF and the EFI stub (%d CPUs, %d MiB)"
                 % (DIRECT_CPUS, DIRECT_MEM_MIB),
                 lambda: run_direct(os.path.join(workdir, "direct")), direct_lines)):
            print("Linux boot to /init, %s:" % title, flush=True)
            try:
                results[key] = fn()
                lines = fmt(results[key])
            except (BenchError, emu.EmulatorError, subprocess.CalledProcessError) as e:
                failed = True
                lines = ["  failed: %s" % str(e).splitlines()[0]]
            print("\n".join(lines), flush=True)
    if len(results) == 2:
        print("Linux boot, virtualization overhead:")
        lines = comparison_lines(results["keel"], results["direct"])
        print("\n".join(lines), flush=True)
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="directory with BOOTX64.EFI and keel.elf")
    ap.add_argument("--workdir", default=None, help="keep images, consoles and Bochs logs "
                    "here (default: a temporary directory)")
    args = ap.parse_args()
    return 1 if run(args.build, args.workdir) else 0


if __name__ == "__main__":
    sys.exit(main())
