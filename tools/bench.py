#!/usr/bin/python3
"""Boot-time and size figures for Keel (`make bench`).

    /usr/bin/python3 tools/bench.py [--image build/keel.img] [--runs N]
        [--emu qemu,bochs] [--only boot,guests,linux]

Boots the image in each emulator (QEMU/TCG and Bochs by default, plus KVM
where it offers nested VT-x), one at a time so they do not compete for the
CPU, with 2 CPUs and 512 MiB, and reports the wall-clock time from launching
the emulator to the firmware starting the loader and to the first shell
prompt. Then prints the sizes of the image, the loader and the kernel.

Where an emulator with VT-x is among them (Bochs, KVM), it also runs the
hello and cpuid test guests once and prints how many VM exits each run
took per exit reason (from the kernel log) and the cpuid guest's own
figure for the TSC cycles of one CPUID exit round trip.

With Bochs among them, it last times Debian's cloud kernel booting to its
/init under Keel and directly in Bochs, for the cost of virtualization
(tools/bench_linux.py). --only picks parts: boot (boot times and sizes),
guests, linux.
"""

import argparse
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

PARTS = ("boot", "guests", "linux")

CPUS = 2
MEM_MIB = 512
# OVMF prints this when its boot manager hands over to the loader.
FIRMWARE_DONE = r"BdsDxe: starting"

ELF_MAGIC = b"\x7fELF"
ELF_CLASS64 = 2
PT_LOAD = 1
ELF64_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
ELF64_PHDR = struct.Struct("<IIQQQQQQ")
KIB = 1024
MIB = 1024 * 1024


def boot_once(name, image):
    """(seconds to firmware hand-over, seconds to prompt) for one boot."""
    with emu.Machine(name, image, cpus=CPUS, mem=MEM_MIB) as machine:
        console = machine.console()
        limit = emu.boot_timeout(name)
        console.expect(FIRMWARE_DONE, limit)
        firmware = machine.elapsed()
        console.wait_prompt(max(limit - firmware, 1))
        return firmware, machine.elapsed()


def bench(name, image, runs):
    """Median firmware and prompt times over `runs` boots, or an error."""
    results = []
    for _ in range(runs):
        try:
            results.append(boot_once(name, image))
        except emu.EmulatorError as e:
            return None, str(e).splitlines()[0]
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results)), None


def human(nbytes):
    if nbytes >= MIB:
        return "%.1f MiB" % (nbytes / MIB)
    return "%.1f KiB" % (nbytes / KIB)


def elf_load_size(path):
    """Bytes the kernel occupies once loaded (sum of PT_LOAD memsz), or None
    if the file is not a 64-bit ELF."""
    with open(path, "rb") as f:
        header = f.read(ELF64_HEADER.size)
        if len(header) < ELF64_HEADER.size or header[:4] != ELF_MAGIC or header[4] != ELF_CLASS64:
            return None
        fields = ELF64_HEADER.unpack(header)
        phoff, phentsize, phnum = fields[5], fields[9], fields[10]
        total = 0
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = ELF64_PHDR.unpack(f.read(ELF64_PHDR.size))
            if ph[0] == PT_LOAD:
                total += ph[6]  # p_memsz
        return total


def size_lines(build, image):
    lines = []
    paths = (image, os.path.join(build, "BOOTX64.EFI"), os.path.join(build, "keel.elf"))
    width = max(len(p) for p in paths)
    for path in paths:
        if not os.path.exists(path):
            lines.append("  %-*s missing" % (width, path))
            continue
        size = os.path.getsize(path)
        text = "  %-*s %10d bytes (%s)" % (width, path, size, human(size))
        if path.endswith(".elf"):
            loaded = elf_load_size(path)
            if loaded is not None:
                text += ", %s when loaded" % human(loaded)
        lines.append(text)
    return lines


GUEST_XML = ("<domain type='keel'><name>%s</name><memory unit='MiB'>16</memory><os>"
             "<type>hvm</type><kernel>%s.elf</kernel></os></domain>")
BENCH_GUESTS = ("hello", "cpuid")
GUEST_WAIT = 300


def guest_figures(name, build):
    """Exit counts of the hello and cpuid guests, and cpuid's cycles per exit."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "config")
        os.mkdir(cfg)
        for g in BENCH_GUESTS:
            with open(os.path.join(cfg, g + ".xml"), "w") as f:
                f.write(GUEST_XML % (g, g))
        with open(os.path.join(cfg, "autostart"), "w") as f:
            f.write("\n".join(BENCH_GUESTS) + "\n")
        image = os.path.join(tmp, "guests.img")
        subprocess.run([os.path.join(root, "tools", "mkimage.sh"), image,
                        os.path.join(build, "BOOTX64.EFI"), os.path.join(build, "keel.elf"), cfg]
                       + [os.path.join(build, "guests", g + ".elf") for g in BENCH_GUESTS],
                       check=True, stdout=subprocess.DEVNULL)
        with emu.Machine(name, image, cpus=CPUS, mem=MEM_MIB) as machine:
            console = machine.console()
            console.wait_prompt()
            deadline = time.time() + GUEST_WAIT
            while "running" in console.cmd("list") and time.time() < deadline:
                time.sleep(2)
            lines = [l for l in console.cmd("dmesg").splitlines() if ": exits: " in l]
            cpuid = re.search(r"cpuid: (\d+) cycles per exit", console.cmd("console cpuid"))
    out = ["  " + l.split("] ", 1)[-1] for l in lines]
    out.append("  CPUID exit round trip: %s TSC cycles (the cpuid guest's average of 1000)"
               % (cpuid.group(1) if cpuid else "not reported"))
    return out


def default_emulators():
    names = ["qemu", "bochs"]
    if emu.kvm_available():
        names.insert(0, "kvm")
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default="build/keel.img")
    ap.add_argument("--build", default=None, help="directory with BOOTX64.EFI and keel.elf "
                    "(default: the image's directory)")
    ap.add_argument("--runs", type=int, default=1, help="boots per emulator (median reported)")
    ap.add_argument("--emu", default=None, help="comma-separated, e.g. qemu,bochs")
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run, "
                    "of %s (default: all)" % ",".join(PARTS))
    args = ap.parse_args()
    build = args.build or os.path.dirname(args.image) or "."
    names = args.emu.split(",") if args.emu else default_emulators()
    parts = args.only.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error("--only: unknown part(s) %s" % ",".join(sorted(unknown)))

    failed = False
    if "boot" in parts:
        failed |= boot_part(names, build, args)
    vmx = [n for n in names if n in ("kvm", "bochs")]
    if vmx and "guests" in parts:
        print("Guests under %s:" % emu.describe(vmx[0]))
        try:
            print("\n".join(guest_figures(vmx[0], build)))
        except (emu.EmulatorError, subprocess.CalledProcessError) as e:
            failed = True
            print("  failed: %s" % str(e).splitlines()[0])
    if "bochs" in names and "linux" in parts:
        import bench_linux  # needs the system tests' conftest (and so pytest)
        failed |= bench_linux.run(build)
    return 1 if failed else 0


def boot_part(names, build, args):
    """Boot times in each emulator and the sizes; True if a boot failed."""
    print("Boot time, wall clock from emulator launch (%d CPUs, %d MiB, median of %d):"
          % (CPUS, MEM_MIB, args.runs))
    print("  %-44s %12s %12s" % ("emulator", "to loader", "to prompt"))
    failed = False
    for name in names:
        times, error = bench(name, args.image, max(args.runs, 1))
        label = emu.describe(name)
        if error:
            failed = True
            print("  %-44s failed: %s" % (label, error))
        else:
            print("  %-44s %10.1f s %10.1f s" % (label, times[0], times[1]), flush=True)
    print("Sizes:")
    print("\n".join(size_lines(build, args.image)))
    return failed


if __name__ == "__main__":
    sys.exit(main())
