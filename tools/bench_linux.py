#!/usr/bin/python3
"""Linux boot under Keel against the same boot without Keel, all in Bochs:
the cost of virtualization (part of `make bench`).

    /usr/bin/python3 tools/bench_linux.py [--build build] [--workdir DIR]
        [--boots keel,bios,ovmf]
    /usr/bin/python3 tools/bench.py --only linux     (the same, from bench.py)

Boots Debian's cloud kernel with the initrd of tests/linux and keel.bench=1
on its command line: /init prints "KEEL-INIT-REACHED uptime=<s>" and powers
off at once. Three runs, one after the other so that they do not compete
for the host's CPUs:

  under Keel    an image of the build's loader and kernel whose
                configuration has the system test's domain `linux` (2 vCPUs,
                128 MiB, virtio disk and rng; tests/system/conftest.py) set
                to autostart, in Bochs with 2 CPUs and 512 MiB. Keel logs
                the domain's start and power-off with timestamps from its
                TSC clock, and the VM exits per reason.
  direct, BIOS  Bochs with 2 CPUs and 128 MiB and its own BIOS, which gives
                the kernel what Keel gives its guest: ACPI tables with the
                MADT and FADT, an I/O APIC, ACPI power-off (and an HPET,
                which Keel's guests lack). A boot sector of our own
                (BIOS_LOADER_ASM) loads the kernel by the 16-bit boot
                protocol and prints the TSC as it jumps to it; Bochs logs
                the ACPI power-off with its tick count. This is the
                baseline.
  direct, OVMF  OVMF in Bochs runs the kernel's EFI stub: the disk is an ESP
                without \\EFI\\BOOT\\BOOTX64.EFI, so OVMF falls back to its
                built-in UEFI Shell, whose startup.nsh starts the kernel with
                a command line (a kernel started as BOOTX64.EFI would get
                none). OVMF under Bochs publishes no ACPI tables and no MP
                table, so this kernel runs on one CPU with the 8259 PIC and
                cannot power off: a smaller machine, shown for reference.
                160 MiB, as OVMF leaves the EFI stub too little of 128 MiB.

Neither direct boot has virtio devices; the guest never gets to use them.
Where Bochs shows the kernel something else than Keel shows its guest, the
direct boots are brought in line: the TSC frequency (TSC_KHZ_ARG), idling
with HLT (IDLE_ARG) and fast strings (MSRS).

Every command line carries `quiet`: Bochs's UART sends each byte at the line
rate in emulated time (87 us at 115200 baud) and Linux waits for it, while
Keel's virtual UART takes bytes at once, so the kernel log would otherwise
weigh seconds on one side only.

Emulated time counts Bochs's ticks (tools/emu.py: ips per second, clock
sync=none; each CPU runs at most one instruction a tick, and the TSC is the
tick count), so the emulated figures do not depend on the host's load;
wall-clock times do.
"""

import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import emu  # noqa: E402
import conftest  # noqa: E402  (the system test's domain and image builder)

KEEL_CPUS = 2
KEEL_MEM_MIB = 512
DIRECT_CPUS = conftest.LINUX_VCPUS
BENCH_ARGS = "keel.bench=1 quiet"
# Bochs's CPUID says the TSC runs at 3.5 GHz (leaves 0x15/0x16 of its
# Skylake-X model), but it counts ticks, BOCHS_IPS a second. A kernel that
# believed CPUID would keep time 70 times too slowly (and its udelay()s
# would spin 70 times too long), so the direct boots are told the truth.
# Under Keel the guest's CPUID already gives the frequency Keel measured.
TSC_KHZ_ARG = "tsc_early_khz=%d" % (emu.BOCHS_IPS // 1000)
# Keel does not offer MONITOR/MWAIT, so its guest idles with HLT. Bochs
# offers them, and with MWAIT idle some direct boots stalled single boot
# steps for seconds (acpi_thermal_init, the 8250 probe, inet6_init: 1.7 to
# 2.7 s, against well under 0.1 s in other runs), so the time to /init
# varied from 27 to 40 s; with HLT every run takes the same time.
IDLE_ARG = "idle=halt"
DIRECT_ARGS = "console=ttyS0 panic=-1 keel.cpus=%d %s %s %s" % (DIRECT_CPUS, TSC_KHZ_ARG, IDLE_ARG,
                                                             BENCH_ARGS)
# Firmware on real machines sets IA32_MISC_ENABLE's fast-string bit, and
# Keel gives its guests the bit set; Bochs has no such MSR (reads give 0),
# so Linux would turn off its REP MOVSB/STOSB string routines (ERMS) in the
# direct boots only. Bochs's configurable MSRs (cpu: msrs=) give them the
# bit from reset on every CPU. Columns: address, type, reset value (high,
# low), reserved bits, ignored bits.
MSRS = ("# IA32_MISC_ENABLE: fast strings on\n"
        "0x1a0 0 00000000 00000001 00000000 00000000 00000000 00000000\n")

BIOS_MEM_MIB = conftest.LINUX_MIB
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
LOADER_GO = r"bench-loader: starting the kernel at TSC ([0-9A-F]{16})"
BOCHS_POWER_OFF = r"(\d+)\w\[ACPI\s*\] >>PANIC<< ACPI control: soft power off"

OVMF_MEM_MIB = 160
OVMF_CMDLINE = "initrd=\\initrd.img " + DIRECT_ARGS
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ESP_MIB = 64
# The UEFI Shell's countdown before it runs startup.nsh ("Press ESC in 5
# seconds to skip startup.nsh or any other key to continue.", with colour
# codes); any key but ESC skips the rest of its 5 (emulated) seconds.
SHELL_COUNTDOWN = r"Press (\x1b\[[0-9;]*m)*ESC(\x1b\[[0-9;]*m)* in \d+ seconds"

# Seconds from the kernel's start to its /init and its power-off, before
# KEEL_TIMEOUT_SCALE.
LINUX_TIMEOUT = 1800
INIT_REACHED = r"KEEL-INIT-REACHED uptime=([0-9]+\.[0-9]{2})"  # always two decimals
LOG_STAMP = r"\[\s*([0-9]+\.[0-9]+)\] "
STARTED = r"domain linux: started"
STOPPED = r"domain linux: shut off: ([^\r\n]*)"
EXITS = r"domain linux: exits: ([^\r\n]*)"
NOT_STARTED = r"domain linux: cannot start[^\r\n]*"


class BenchError(Exception):
    """A run did not produce its figures (the message says why)."""


def timeout():
    return LINUX_TIMEOUT * emu.timeout_scale()


def emulated(ticks):
    return ticks / emu.BOCHS_IPS


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
    """{reason: count} from Keel's "exits:" line ("EPT violation 12, ...")."""
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
        wall_kernel = machine.elapsed()
        con.wait_prompt()
        # The console replays the guest's output, and detaches by itself
        # once the domain has stopped.
        con.sendline("console linux")
        con.expect(INIT_REACHED, timeout())
        uptime, wall_init = float(con.match.group(1)), machine.elapsed()
        con.expect(re.escape(emu.PROMPT), timeout())
        dmesg = con.cmd("dmesg")
    exits = re.findall(EXITS, dmesg)
    return {"uptime": uptime, "wall_kernel": wall_kernel, "wall_init": wall_init,
            "virt": log_time(dmesg, STOPPED) - log_time(dmesg, STARTED),
            "reason": re.findall(STOPPED, dmesg)[-1],
            "exits": parse_exits(exits[-1]) if exits else {}}


# ------------------------------------------------------------ directly, BIOS
# A boot sector that loads a bzImage by the 16-bit boot protocol
# (Documentation/x86/boot.rst): the real-mode block (setup code whose header
# bios_disk() has filled in, the command line at HEAP_END) to 0x10000, the
# protected-mode kernel to 0x100000 and the initrd to INITRD_ADDR. Disk
# reads use INT 13h AH=42h (EDD) into a bounce buffer below 1 MiB; INT 15h
# AH=87h (the BIOS copies in protected mode) moves each chunk into place.
# Just before it jumps to the kernel's setup code it prints the TSC on COM1.
BIOS_LOADER_ASM = """
bits 16
org 0x7c00
CHUNK equ 64                    ; sectors per read (32 KiB)
BOUNCE equ 0x20000
REAL_SEG equ 0x1000
HEAP_END equ 0xe000
COM1 equ 0x3f8

start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov [drive], dl
        call serial_init
        mov eax, REAL_LBA
        mov ecx, REAL_SECTORS
        mov edi, REAL_SEG << 4
        call load
        mov eax, KERNEL_LBA
        mov ecx, KERNEL_SECTORS
        mov edi, 0x100000
        call load
        mov eax, INITRD_LBA
        mov ecx, INITRD_SECTORS
        mov edi, INITRD_ADDR
        call load
        rdtsc
        push eax
        push edx
        mov si, go_msg
        call puts
        pop eax
        call puthex
        pop eax
        call puthex
        mov si, crlf
        call puts
        cli
        mov ax, REAL_SEG
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov sp, HEAP_END
        jmp REAL_SEG + 0x20:0

; Load ECX sectors from LBA EAX to physical address EDI.
load:   test ecx, ecx
        jz .done
        mov ebx, ecx
        cmp ebx, CHUNK
        jbe .read
        mov ebx, CHUNK
.read:  mov [dap_count], bx
        mov [dap_lba], eax
        pushad
        mov si, dap
        mov ah, 0x42
        mov dl, [drive]
        int 0x13
        jc fail
        popad
        pushad
        mov edx, edi
        mov [dst_desc + 2], dx  ; base 15:0
        shr edx, 16
        mov [dst_desc + 4], dl  ; base 23:16
        mov [dst_desc + 7], dh  ; base 31:24
        mov cx, bx
        shl cx, 8               ; words
        mov si, gdt
        mov ah, 0x87
        int 0x15
        jc fail
        popad
        add eax, ebx
        sub ecx, ebx
        shl ebx, 9
        add edi, ebx
        jmp load
.done:  ret

fail:   mov si, fail_msg
        call puts
.halt:  cli
        hlt
        jmp .halt

; 115200 baud, 8N1: the BIOS leaves COM1 as it found it.
serial_init:
        mov dx, COM1 + 3
        mov al, 0x80
        out dx, al
        mov dx, COM1
        mov al, 1
        out dx, al
        inc dx
        xor al, al
        out dx, al
        mov dx, COM1 + 3
        mov al, 3
        out dx, al
        ret

putc:   mov ah, al
        mov dx, COM1 + 5
.wait:  in al, dx
        test al, 0x20           ; transmitter holding register empty
        jz .wait
        mov al, ah
        mov dx, COM1
        out dx, al
        ret

puts:   lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:  ret

puthex: mov cx, 8               ; EAX as 8 hex digits
.next:  rol eax, 4
        push eax
        and al, 0x0f
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   call putc
        pop eax
        loop .next
        ret

drive:  db 0x80
go_msg: db "bench-loader: starting the kernel at TSC ", 0
crlf:   db 13, 10, 0
fail_msg: db "bench-loader: disk read failed", 13, 10, 0
align 4
dap:    db 16, 0
dap_count: dw 0
        dw 0, BOUNCE >> 4       ; buffer offset, segment
dap_lba: dq 0
align 8
gdt:    times 16 db 0
        dw 0xffff, BOUNCE & 0xffff      ; source: the bounce buffer
        db BOUNCE >> 16, 0x93, 0, 0
dst_desc: dw 0xffff, 0
        db 0, 0x93, 0, 0
        times 16 db 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
"""
SECTOR = 512
REAL_BASE = 0x10000
HEAP_END = 0xE000               # the setup code's heap ends here; the command line follows
# Bochs's BIOS derives the disk's geometry from its size: whole cylinders
# of 16 heads x 63 sectors.
CYLINDER = 16 * 63 * SECTOR
# Setup header fields (Documentation/x86/boot.rst).
HDR_SETUP_SECTS = 0x1F1
HDR_TYPE_OF_LOADER = 0x210
HDR_LOADFLAGS = 0x211
HDR_RAMDISK_IMAGE = 0x218
HDR_HEAP_END_PTR = 0x224
HDR_CMD_LINE_PTR = 0x228
CAN_USE_HEAP = 0x80
LOADER_UNDEFINED = 0xFF
# The initrd goes this far below the top of RAM: above the kernel's
# decompression area (16 MiB + init_size, 68 MiB for this kernel), below
# the BIOS's ACPI tables at the very top.
INITRD_BELOW_TOP = 16 * 1024 * 1024


def pad(data, size=SECTOR):
    return data + bytes(-len(data) % size)


def real_mode_block(kernel, cmdline, initrd_addr, initrd_len):
    """The kernel's setup code with its header filled in, padded to
    HEAP_END, then the command line."""
    setup_len = ((kernel[HDR_SETUP_SECTS] or 4) + 1) * SECTOR
    real = bytearray(kernel[:setup_len])
    real[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED
    real[HDR_LOADFLAGS] |= CAN_USE_HEAP
    struct.pack_into("<II", real, HDR_RAMDISK_IMAGE, initrd_addr, initrd_len)
    struct.pack_into("<H", real, HDR_HEAP_END_PTR, HEAP_END - 0x200)
    struct.pack_into("<I", real, HDR_CMD_LINE_PTR, REAL_BASE + HEAP_END)
    return bytes(real).ljust(HEAP_END, b"\0") + cmdline.encode() + b"\0", setup_len


def bios_disk(path, info, workdir, cmdline, mem_mib):
    """A raw disk: BIOS_LOADER_ASM's boot sector, the real-mode block, the
    protected-mode kernel, the initrd."""
    with open(os.path.join(info["dir"], "vmlinuz"), "rb") as f:
        kernel = f.read()
    with open(os.path.join(info["dir"], "initrd.img"), "rb") as f:
        initrd = f.read()
    initrd_addr = mem_mib * 1024 * 1024 - INITRD_BELOW_TOP
    real, setup_len = real_mode_block(kernel, cmdline, initrd_addr, len(initrd))
    parts = [pad(real), pad(kernel[setup_len:]), pad(initrd)]
    lba, defs = 1, ["-DINITRD_ADDR=0x%x" % initrd_addr]
    for name, part in zip(("REAL", "KERNEL", "INITRD"), parts):
        defs += ["-D%s_LBA=%d" % (name, lba), "-D%s_SECTORS=%d" % (name, len(part) // SECTOR)]
        lba += len(part) // SECTOR
    src, boot = os.path.join(workdir, "bios-loader.asm"), os.path.join(workdir, "bios-loader.bin")
    with open(src, "w") as f:
        f.write(BIOS_LOADER_ASM)
    subprocess.run(["nasm", "-f", "bin"] + defs + [src, "-o", boot], check=True)
    with open(boot, "rb") as f:
        image = f.read()
    with open(path, "wb") as f:
        f.write(pad(image + b"".join(parts), CYLINDER))
    return path


class DirectMachine(emu.Machine):
    """Bochs as tools/emu.py sets it up, with IA32_MISC_ENABLE's fast-string
    bit set (see MSRS) and, given a romimage, another firmware than OVMF."""

    def __init__(self, *args, romimage=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.romimage = romimage

    def _bochsrc(self, pty_path):
        rc = super()._bochsrc(pty_path)
        msrs = os.path.join(self.workdir, "msrs.def")
        with open(msrs, "w") as f:
            f.write(MSRS)
        rc = re.sub(r"^(cpu: .*)$", r'\1, msrs="%s"' % msrs, rc, count=1, flags=re.M)
        if self.romimage:
            rc = rc.replace("romimage: file=" + emu.OVMF, "romimage: file=" + self.romimage)
        return rc


def wait_exit(machine, seconds):
    deadline = time.monotonic() + seconds
    while machine.exited() is None:
        if time.monotonic() > deadline:
            raise BenchError("bochs did not power off within %.0f s of /init" % seconds)
        time.sleep(0.5)


def power_off_tick(log_path):
    """Bochs's tick count when the guest powered off (ACPI S5), from its log."""
    with open(log_path, "rb") as f:
        found = re.findall(BOCHS_POWER_OFF, f.read().decode("utf-8", "replace"))
    if not found:
        raise BenchError("no ACPI power-off in %s" % log_path)
    return int(found[-1])


def run_bios(workdir):
    info = conftest.linux_artifacts()
    os.makedirs(workdir, exist_ok=True)
    disk = bios_disk(os.path.join(workdir, "bios-disk.img"), info, workdir, DIRECT_ARGS,
                     BIOS_MEM_MIB)
    with DirectMachine("bochs", disk, cpus=DIRECT_CPUS, mem=BIOS_MEM_MIB, romimage=BOCHS_BIOS,
                       workdir=os.path.join(workdir, "bochs")) as machine:
        con = machine.console(os.path.join(machine.workdir, "console.log"))
        con.expect(LOADER_GO, emu.boot_timeout("bochs"))
        start_tick, wall_kernel = int(con.match.group(1), 16), machine.elapsed()
        con.expect(INIT_REACHED, timeout())
        uptime, wall_init = float(con.match.group(1)), machine.elapsed()
        # The power-off makes Bochs stop (its log calls it a panic).
        wait_exit(machine, timeout())
    off_tick = power_off_tick(machine.log_path)
    return {"uptime": uptime, "wall_kernel": wall_kernel, "wall_init": wall_init,
            "virt": emulated(off_tick - start_tick)}


# ------------------------------------------------------------ directly, OVMF
def efi_disk(path, info, workdir):
    """A GPT disk with one ESP holding vmlinuz, initrd.img and a startup.nsh
    that runs the kernel, and no default loader (built as tools/mkimage.sh
    builds Keel's, with sfdisk and mtools)."""
    script = os.path.join(workdir, "startup.nsh")
    with open(script, "w") as f:
        f.write("fs0:\\vmlinuz %s\r\n" % OVMF_CMDLINE)
    with open(path, "wb") as f:
        f.truncate(ESP_MIB * 1024 * 1024)
    subprocess.run(["sfdisk", "--quiet", path], check=True, text=True,
                   input='label: gpt\nstart=2048, type=%s, name="BENCH"\n' % ESP_TYPE)
    part = path + "@@1M"
    subprocess.run(["mformat", "-i", part, "-F", "-v", "BENCH", "::"], check=True)
    for src in (os.path.join(info["dir"], "vmlinuz"), os.path.join(info["dir"], "initrd.img"),
                script):
        subprocess.run(["mcopy", "-i", part, src, "::/" + os.path.basename(src)], check=True)
    return path


def run_ovmf(workdir):
    info = conftest.linux_artifacts()
    os.makedirs(workdir, exist_ok=True)
    disk = efi_disk(os.path.join(workdir, "efi-disk.img"), info, workdir)
    with DirectMachine("bochs", disk, cpus=DIRECT_CPUS, mem=OVMF_MEM_MIB,
                       workdir=os.path.join(workdir, "bochs")) as machine:
        con = machine.console(os.path.join(machine.workdir, "console.log"))
        con.expect(SHELL_COUNTDOWN, emu.boot_timeout("bochs"))
        con.send("\r")
        # The shell echoes the script's line as it runs it.
        con.expect(r"vmlinuz [^\r\n]*keel\.bench=1", emu.boot_timeout("bochs"))
        wall_kernel = machine.elapsed()
        con.expect(INIT_REACHED, timeout())
        return {"uptime": float(con.match.group(1)), "wall_kernel": wall_kernel,
                "wall_init": machine.elapsed(), "virt": None}


# ------------------------------------------------------------ report
RUNS = (  # key, title, function(build, workdir), what "kernel start" is
    ("keel", "under Keel (Bochs: %d CPUs, %d MiB; domain: %d vCPUs, %d MiB)"
     % (KEEL_CPUS, KEEL_MEM_MIB, conftest.LINUX_VCPUS, conftest.LINUX_MIB),
     run_keel, "Keel's 'domain linux: started'"),
    ("bios", "directly, Bochs BIOS and a boot sector (%d CPUs, %d MiB, ACPI)"
     % (DIRECT_CPUS, BIOS_MEM_MIB),
     lambda build, work: run_bios(work), "the boot sector's jump to the kernel"),
    ("ovmf", "directly, OVMF and the EFI stub (%d MiB; no ACPI, so 1 CPU)" % OVMF_MEM_MIB,
     lambda build, work: run_ovmf(work), "the UEFI Shell starting vmlinuz"),
)


def run_lines(r, kernel_start):
    lines = ["  guest uptime at /init:                    %8.2f s" % r["uptime"]]
    if r["virt"] is not None:
        lines.append("  emulated, kernel start to power-off:      %8.2f s = at most %.2f G "
                     "instructions per CPU" % (r["virt"], r["virt"] * emu.BOCHS_IPS / 1e9))
    lines += ["  wall clock, emulator start to kernel start: %6.1f s (kernel start: %s)"
              % (r["wall_kernel"], kernel_start),
              "  wall clock, kernel start to /init:        %8.1f s"
              % (r["wall_init"] - r["wall_kernel"])]
    if "exits" in r:
        total = sum(r["exits"].values())
        lines.append("  VM exits: %d in all, %.1f per emulated ms (stopped: %s)"
                     % (total, total / max(r["virt"] * 1000, 1e-9), r["reason"]))
        for name, count in sorted(r["exits"].items(), key=lambda kv: -kv[1]):
            lines.append("    %-24s %8d  %5.1f%%" % (name, count, 100.0 * count / max(total, 1)))
    return lines


def comparison_lines(results):
    """Keel against each direct boot that worked: figures and Keel / direct."""
    keel = results.get("keel")
    others = [k for k in ("bios", "ovmf") if k in results]
    if keel is None or not others:
        return []
    rows = (("guest uptime at /init", lambda r: r["uptime"]),
            ("emulated, kernel start to power-off", lambda r: r["virt"]),
            ("wall clock, kernel start to /init", lambda r: r["wall_init"] - r["wall_kernel"]))
    lines = ["  %-36s %10s" % ("", "Keel") + "".join("  %10s %6s" % (k.upper(), "ratio")
                                                     for k in others)]
    for label, get in rows:
        if get(keel) is None:
            continue
        line = "  %-36s %8.2f s" % (label, get(keel))
        for k in others:
            v = get(results[k])
            line += ("  %8.2f s %5.2fx" % (v, get(keel) / v)) if v else "  %10s %6s" % ("-", "")
        lines.append(line)
    return lines


def run(build, workdir=None, which=("keel", "bios", "ovmf")):
    """Run, print each run's figures and the comparison; True if one failed."""
    failed, results = False, {}
    with tempfile.TemporaryDirectory(prefix="keel-bench-linux-") as tmp:
        for key, title, fn, kernel_start in RUNS:
            if key not in which:
                continue
            print("Linux boot to /init, %s:" % title, flush=True)
            try:
                results[key] = fn(build, os.path.join(workdir or tmp, key))
                lines = run_lines(results[key], kernel_start)
            except (BenchError, emu.EmulatorError, subprocess.CalledProcessError) as e:
                failed = True
                lines = ["  failed: %s" % str(e).splitlines()[0]]
            print("\n".join(lines), flush=True)
    lines = comparison_lines(results)
    if lines:
        print("Linux boot, virtualization overhead (ratio = Keel / direct):")
        print("\n".join(lines), flush=True)
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="directory with BOOTX64.EFI and keel.elf")
    ap.add_argument("--workdir", default=None, help="keep images, consoles and Bochs logs "
                    "here (default: a temporary directory)")
    ap.add_argument("--boots", default="keel,bios,ovmf", help="comma-separated subset of "
                    "keel,bios,ovmf")
    args = ap.parse_args()
    return 1 if run(args.build, args.workdir, args.boots.split(",")) else 0


if __name__ == "__main__":
    sys.exit(main())
