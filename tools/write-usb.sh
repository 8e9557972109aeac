#!/bin/sh
# Write Keel's boot image to a USB stick (`make usb DEV=/dev/sdX`).
#
#   tools/write-usb.sh IMAGE DEVICE
#
# Refuses anything but a whole, unmounted disk at least as large as the
# image, shows what the device is, and writes only after the user types
# "yes". Everything on the device is lost.
set -eu

die() {
	echo "write-usb: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: tools/write-usb.sh IMAGE DEVICE (or: make usb DEV=/dev/sdX)"
img=$1 dev=$2
[ -n "$dev" ] || die "no device given: make usb DEV=/dev/sdX (lsblk lists the disks)"
[ -f "$img" ] || die "no image at $img (run make)"
[ -e "$dev" ] || die "$dev does not exist (lsblk lists the disks)"
[ -b "$dev" ] || die "$dev is not a block device"
command -v lsblk >/dev/null 2>&1 || die "lsblk is missing (package util-linux)"

real=$(readlink -f "$dev")
type=$(lsblk -dno TYPE "$real")
case "$type" in
disk | loop) ;;
part) die "$dev is a partition; give the whole disk (for example /dev/sdb, not /dev/sdb1)" ;;
*) die "$dev is a '$type' device, not a disk" ;;
esac

# The device, its partitions and anything stacked on them (LVM, dm-crypt).
names=$(lsblk -lnpo NAME "$real")
for name in $names; do
	if awk -v n="$name" '$1 == n {found = 1} END {exit !found}' /proc/mounts; then
		die "$name is mounted: unmount it first (umount $name)"
	fi
	if awk -v n="$name" 'NR > 1 && $1 == n {found = 1} END {exit !found}' /proc/swaps; then
		die "$name is in use as swap (swapoff $name)"
	fi
done
mounted=$(lsblk -lnpo MOUNTPOINT "$real" | awk 'NF' | head -n 1)
[ -z "$mounted" ] || die "a partition of $dev is mounted on $mounted: unmount it first"

img_bytes=$(stat -c %s "$img")
dev_bytes=$(lsblk -bdno SIZE "$real")
[ "$dev_bytes" -ge "$img_bytes" ] ||
	die "$dev holds $dev_bytes bytes, the image needs $img_bytes"
[ -w "$real" ] || die "no permission to write $dev: run as root (sudo make usb DEV=$dev)"

echo "About to overwrite this device with $img ($img_bytes bytes):"
lsblk -o NAME,SIZE,TYPE,TRAN,VENDOR,MODEL,SERIAL "$real"
echo "Everything on $dev will be lost."
printf 'type yes to overwrite %s: ' "$dev"
read -r answer || answer=
[ "$answer" = yes ] || die "not written (answer was not 'yes')"

dd if="$img" of="$real" bs=4M conv=fsync status=progress
sync
echo "write-usb: $img written to $dev; you can remove it now"
