#!/bin/bash
# Runs the test guests under plain QEMU (TCG, no Keel) and checks their
# output and exit status: the guests that should pass, and the hostile ones
# whose misbehaviour QEMU shows too (triple fault, spin, flood).
# QEMU's exit status is (V << 1) | 1 for a write of V to the exit port, so
# PASS is 1; -no-reboot makes a triple fault exit with 0; timeout gives 124.
#
#   tests/guests/check-qemu.sh [BUILD]     (default: build; run 'make guests')
set -u
BUILD=${1:-build}
G=$BUILD/guests
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
QEMU=(qemu-system-x86_64 -display none -serial stdio -no-reboot -m 64
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
passed=0
failed=0
out=""

fail() { echo "FAIL $name: $*"; ok=0; }

# run NAME STATUS SECONDS KERNEL [QEMU ARGS...]: run, check the status.
run() {
	name=$1 status=$2 secs=$3 kernel=$4
	shift 4
	ok=1
	timeout "$secs" "${QEMU[@]}" -kernel "$kernel" "$@" \
		> "$TMP/$name.out" 2> "$TMP/$name.err" < /dev/null
	local rc=$?
	out=$(tr -d '\r' < "$TMP/$name.out")
	[ "$rc" = "$status" ] || fail "exit status $rc, expected $status"
}

# has REGEX...: each must match a whole line of the output.
has() {
	local re
	for re in "$@"; do
		grep -qxE -- "$re" <<< "$out" || fail "no line matching '$re'"
	done
}
hasnt() { ! grep -qxE -- "$1" <<< "$out" || fail "unexpected line '$1'"; }

done_() {
	if [ "$ok" = 1 ]; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		sed 's/^/     | /' "$TMP/$name.out" "$TMP/$name.err" | head -40
	fi
}

# multiboot header flags of an image (first 8 KiB, 4-byte aligned)
mb_flags() {
	python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read(8192)
for off in range(0, len(data) - 12, 4):
    magic, flags, csum = struct.unpack_from("<III", data, off)
    if magic == 0x1BADB002 and (magic + flags + csum) & 0xffffffff == 0:
        print(hex(flags)); break
EOF
}

printf 'first module' > "$TMP/mod1"
head -c 5000 /dev/zero | tr '\0' 'B' > "$TMP/mod2"
run hello 1 20 "$G/hello.elf" -append "greeting=hi" \
	-initrd "$TMP/mod1 one,$TMP/mod2"
has "hello: bss is zeroed" "hello: cmdline '.* greeting=hi'" \
	"hello: 2 modules" \
	"hello: module 0 at [0-9a-f]{5}000 size 12 string '.*/mod1 one' bytes 66 69 72 73 74 20 6d 6f 64 75 6c 65" \
	"hello: module 1 at [0-9a-f]{5}000 size 5000 string '.*/mod2' bytes( 42){16}" \
	"hello: mmap 0000000000100000 length .* type 1" "PASS hello"
done_

run modes 1 20 "$G/modes.elf"
has "modes: 32-bit protected mode" "modes: real mode, out to the UART" \
	"modes: back in 32-bit protected mode" \
	"modes: 64-bit long mode, RIP-relative data" "modes: 64-bit rep outsb" \
	"PASS modes"
done_

run cpuid 1 20 "$G/cpuid.elf"
has "cpuid: hypervisor signature 'TCGTCGTCGTCG'.*" \
	"cpuid: [0-9]+ cycles per exit" "PASS cpuid"
done_

run portio 1 20 "$G/portio.elf"
has "portio: rep outsb to the UART" "portio: rep outsb backwards" \
	"portio: rep insb backwards" "PASS portio"
done_

run msr 1 20 "$G/msr.elf"
has "msr: not under Keel: checks only report" "PASS msr"
done_

run vmxon 1 20 "$G/vmxon.elf"
has "vmxon: vmxon: exception 6" "vmxon: vmptrld: exception 6" \
	"vmxon: vmread: exception 6" "PASS vmxon"
done_

run counter 1 20 "$G/counter.elf" -append "name=alpha limit=3"
has "counter alpha 1" "counter alpha 3" "PASS counter"
hasnt "counter alpha 4"
[ "$(mb_flags "$G/counter.elf")" = 0x10003 ] || fail "no a.out kludge flag"
done_

# QEMU refuses ELF64 multiboot kernels; an elf32-i386 copy runs the code.
run elf64-refused 1 20 "$G/elf64.elf"
grep -q "Cannot load x86-64 image" "$TMP/elf64-refused.err" ||
	fail "QEMU did not refuse the ELF64 image"
[ "$(mb_flags "$G/elf64.elf")" = 0x3 ] || fail "unexpected header flags"
done_
objcopy -I elf64-x86-64 -O elf32-i386 "$G/elf64.elf" "$TMP/elf64-as-32.elf"
run elf64 1 20 "$TMP/elf64-as-32.elf"
has "elf64: in long mode" "PASS elf64"
done_

run wild-write 1 60 "$G/wild-write.elf"
has "wild-write: 4032 writes above RAM; own RAM .* intact" "PASS wild-write"
done_

run wild-read 1 60 "$G/wild-read.elf" -initrd "$TMP/mod1"
has "wild-read: not under Keel: checks only report" "PASS wild-read"
done_

# virtio-hostile needs a modern-only virtio-blk with the disk that
# tests/system/conftest.py gives it under Keel (byte o = (o + o / 512) mod
# 256, starting with "KEELDISK"). QEMU's reactions to the bad rings are
# only reported (it prints its own complaints on stderr); the valid reads
# must work.
python3 -c '
import sys
disk = bytearray((o + o // 512) & 0xff for o in range(64 * 1024))
disk[:8] = b"KEELDISK"
open(sys.argv[1], "wb").write(disk)' "$TMP/virtio-disk.img"
run virtio-hostile 1 30 "$G/virtio-hostile.elf" \
	-drive "file=$TMP/virtio-disk.img,format=raw,if=none,id=vd0" \
	-device virtio-blk-pci,drive=vd0,disable-legacy=on
has "virtio-hostile: not under Keel: .*" "virtio-hostile: capacity 128 sectors" \
	"virtio-hostile: d\) sector 0: status 00, used id 0 length 513, data 'KEELDISK'" \
	"virtio-hostile: d\) sector 127: status 00, used id 0 length 513, .*" \
	"virtio-hostile: still running, device still serving" "PASS virtio-hostile"
done_

run triple 0 20 "$G/triple.elf"
has "triple: going"
hasnt "(PASS|FAIL) .*"
done_

run spin 124 3 "$G/spin.elf"
has "spin: spinning with interrupts off"
done_

run flood 124 2 "$G/flood.elf"
[ "$(wc -l <<< "$out")" -gt 1000 ] || fail "only $(wc -l <<< "$out") lines"
done_

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
