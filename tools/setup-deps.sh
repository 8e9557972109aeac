#!/bin/sh
# Check that the Debian packages Keel builds, runs and tests with are
# installed (`make deps`, run before `make run`/`make test`). Silent when
# they all are. Otherwise installs the missing ones when run as root, or
# prints the apt-get line to run and fails.
set -eu

# Word splitting of this list is intended throughout.
PACKAGES="gnu-efi nasm qemu-system-x86 ovmf bochs bochsbios vgabios mtools fdisk lcov
libcmocka-dev python3-pytest python3-pexpect busybox-static gcc make binutils
openssl"
set -f  # no globbing while the list is split

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "setup-deps: no dpkg-query (not Debian); install these by hand:" >&2
	# shellcheck disable=SC2086
	echo "  " $PACKAGES >&2
	exit 1
fi

# One dpkg-query for all of them; unknown packages only produce a message on
# stderr and are absent from the list of installed ("ii") ones.
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>/dev/null |
	awk '$1 == "ii" {printf "%s ", $2}') "
missing=
for p in $PACKAGES; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "setup-deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: install them with:"
	echo "  sudo apt-get install --no-install-recommends$missing"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
