#!/bin/sh
# Build Keel's boot disk: a raw image with a GPT and one EFI System Partition
# (FAT32) that holds the loader, the kernel and the configuration directory.
# Needs no root and no loop devices: sfdisk and mtools work on plain files.
#
#   tools/mkimage.sh OUT.img BOOTX64.EFI keel.elf CONFIG_DIR [EXTRA_FILE...]
#
# EXTRA_FILEs (the demo's guest kernels, built by the Makefile) join the
# configuration directory's files; a file of CONFIG_DIR with the same name
# wins.
# Layout of the ESP:
#   /EFI/BOOT/BOOTX64.EFI   the loader (the removable-media default path)
#   /keel/keel.elf          the kernel
#   /keel/<file>            every regular file of CONFIG_DIR (keel.cfg, ...)
set -eu
out=$1 loader=$2 kernel=$3 config=$4
shift 4

# Size: the contents plus headroom, never below 64 MiB (FAT32 needs at
# least 65525 clusters; with 512-byte clusters that is about 33 MiB).
payload_kib=$(du -skLc "$loader" "$kernel" "$config" "$@" | tail -1 | awk '{s += $1} END {print s}')
size_mib=$(( (payload_kib / 1024) * 2 + 64 ))

tmp=$out.tmp
rm -f "$tmp"
truncate -s "${size_mib}M" "$tmp"
# One partition from 1 MiB to the end, type "EFI System".
printf 'label: gpt\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="KEEL-ESP"\n' |
	sfdisk --quiet "$tmp"
part="$tmp@@1M"
mformat -i "$part" -F -v KEEL -N 4b45454c ::
mmd -i "$part" ::/EFI ::/EFI/BOOT ::/keel
mcopy -i "$part" "$loader" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$part" "$kernel" ::/keel/keel.elf
for f in "$@"; do
	[ -e "$config/$(basename "$f")" ] && continue
	mcopy -i "$part" "$f" "::/keel/$(basename "$f")"
done
for f in "$config"/*; do
	[ -f "$f" ] || continue
	mcopy -i "$part" "$f" "::/keel/$(basename "$f")"
done
mv "$tmp" "$out"
echo "image: $out (${size_mib} MiB)"
