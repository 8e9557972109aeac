#!/bin/busybox sh
# /init of Keel's Linux test guest (busybox sh; packed into initrd.img by
# tools/linux_guest.py). It checks the virtual machine it boots on against
# the expectations given on the kernel command line, prints one line per
# check and a summary, then serves a shell on the console and powers off on
# an ACPI power button press. See tests/linux/README.md.
#
#   KEEL-INIT-REACHED uptime=<s>        first output, as soon as /init runs
#   KEEL-CHECK <name> PASS|SKIP|FAIL <details>
#   KEEL-LINUX: PASS | KEEL-LINUX: FAIL <names>
#
# Command line: keel.cpus=N keel.mem_mib=M keel.disk_sha256=HEX
# keel.rate_secs=S; a check whose parameter is missing is skipped.
# keel.bench=1 powers off (ACPI S5) right after the first line instead: the
# boot benchmark (tools/bench_linux.py) times the boot to /init alone.

/bin/busybox mount -t proc proc /proc
read -r up_now _ </proc/uptime
echo "KEEL-INIT-REACHED uptime=$up_now"
read -r boot_args </proc/cmdline
case " $boot_args " in
*" keel.bench=1 "*) /bin/busybox poweroff -f ;;
esac

/bin/busybox --install -s /bin
export PATH=/bin HOME=/root TERM=linux
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts

FAILED=""

# result NAME PASS|SKIP|FAIL [details...]
result() {
	name=$1 verdict=$2
	shift 2
	echo "KEEL-CHECK $name $verdict${*:+ $*}"
	[ "$verdict" = FAIL ] && FAILED="$FAILED $name"
	return 0
}

# A whole decimal number (no sign, no leading garbage)?
is_number() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}

# Uptime (CLOCK_MONOTONIC-based, since boot) in hundredths of a second.
# /proc/uptime always has two decimals; the leading zero is dropped so that
# the shell does not read "05" as octal.
uptime_cs() {
	read -r u _ </proc/uptime
	frac=${u#*.}
	echo $((${u%.*} * 100 + ${frac#0}))
}

# ---------------------------------------------------------------- parameters
# The command line is one line of words; splitting it is the point.
# shellcheck disable=SC2013
for word in $(cat /proc/cmdline); do
	case $word in
	keel.cpus=*) want_cpus=${word#*=} ;;
	keel.mem_mib=*) want_mem=${word#*=} ;;
	keel.disk_sha256=*) want_sha=${word#*=} ;;
	keel.rate_secs=*) want_rate=${word#*=} ;;
	esac
done

# ---------------------------------------------------------------- checks
check_modules() {
	bad=""
	while read -r ko; do
		insmod "/lib/modules/$ko" || bad="$bad ${ko%.ko}"
	done </lib/modules/load-order
	if [ -n "$bad" ]; then
		result modules FAIL "insmod failed:$bad"
	else
		result modules PASS "$(wc -l </lib/modules/load-order) loaded"
	fi
}

check_cpus() {
	if [ -z "${want_cpus+set}" ]; then result cpus SKIP; return; fi
	if ! is_number "$want_cpus" || [ "$want_cpus" -lt 1 ]; then
		result cpus FAIL "bad keel.cpus=$want_cpus"; return
	fi
	have=$(grep -c '^processor' /proc/cpuinfo)
	online=$(cat /sys/devices/system/cpu/online)
	want_online=0
	[ "$want_cpus" -gt 1 ] && want_online="0-$((want_cpus - 1))"
	if [ "$have" = "$want_cpus" ] && [ "$online" = "$want_online" ]; then
		result cpus PASS "$have"
	else
		result cpus FAIL "cpuinfo has $have, online $online; want $want_cpus ($want_online)"
	fi
}

# MemTotal is the RAM the kernel manages: the machine's RAM less firmware
# holes (the legacy 640K-1M hole, ACPI tables), the kernel image and what
# early boot reserves for good (the struct page array, 64 bytes per 4 KiB
# page = 1.6%; page tables; per-CPU areas). Under QEMU the cloud kernel
# keeps about 34 MiB + 1.7% of RAM (96 MiB -> MemTotal 62032 kB, 256 ->
# 223376, 1024 -> 996624). So MemTotal must be in [M - 40 MiB - M/16, M]:
# that leaves 6 MiB + 4.5% of slack for a hypervisor's own tables, yet fails
# when the guest sees materially less RAM than it was given (a truncated
# E820 map), and any MemTotal above M is wrong.
check_mem() {
	if [ -z "${want_mem+set}" ]; then result mem SKIP; return; fi
	if ! is_number "$want_mem" || [ "$want_mem" -lt 64 ]; then
		result mem FAIL "bad keel.mem_mib=$want_mem (want >= 64)"; return
	fi
	have_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	max_kib=$((want_mem * 1024))
	min_kib=$((max_kib - 40 * 1024 - max_kib / 16))
	if [ "$have_kib" -le "$max_kib" ] && [ "$have_kib" -ge "$min_kib" ]; then
		result mem PASS "MemTotal ${have_kib} kB for $want_mem MiB"
	else
		result mem FAIL "MemTotal ${have_kib} kB not in [$min_kib, $max_kib] kB"
	fi
}

check_rng() {
	current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
	case $current in
	virtio_rng*) ;;
	*) result rng FAIL "rng_current is '${current:-missing}', not virtio_rng"; return ;;
	esac
	bytes=$(timeout 10 head -c 64 /dev/hwrng | od -An -v -tx1)
	count=$(echo "$bytes" | wc -w)
	distinct=$(for b in $bytes; do echo "$b"; done | sort -u | wc -l)
	if [ "$count" -eq 64 ] && [ "$distinct" -gt 1 ]; then
		result rng PASS "$current, 64 bytes, $distinct distinct values"
	else
		result rng FAIL "$current gave $count bytes, $distinct distinct values"
	fi
}

check_disk() {
	if [ -z "${want_sha+set}" ]; then result disk SKIP; return; fi
	tries=0
	while [ ! -b /dev/vda ] && [ $tries -lt 100 ]; do  # up to 10 s
		usleep 100000
		tries=$((tries + 1))
	done
	if [ ! -b /dev/vda ]; then result disk FAIL "no /dev/vda after 10 s"; return; fi
	sectors=$(cat /sys/block/vda/size)
	have=$(sha256sum /dev/vda | cut -d' ' -f1)
	want=$(echo "$want_sha" | tr 'A-F' 'a-f')
	if [ "$have" = "$want" ]; then
		result disk PASS "/dev/vda $sectors sectors, sha256 matches"
	else
		result disk FAIL "/dev/vda $sectors sectors, sha256 $have, want $want"
	fi
}

# Seconds since the epoch from the RTC: each read of since_epoch reads the
# CMOS clock through the rtc0 driver, as /dev/rtc0 does.
rtc_secs() {
	cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null
}

# Wait (polling every 10 ms, at most $2 polls) until the RTC reads at least
# $1; prints "<RTC seconds> <uptime in centiseconds>" of the read that did,
# nothing (and fails) when none did.
wait_rtc() {
	polls=0
	while [ $polls -lt "$2" ]; do
		now=$(rtc_secs)
		if [ -n "$now" ] && [ "$now" -ge "$1" ]; then
			echo "$now $(uptime_cs)"
			return 0
		fi
		usleep 10000
		polls=$((polls + 1))
	done
	return 1
}

# S seconds of the RTC must take S seconds of CLOCK_MONOTONIC, within
# 1 s + 2%: both edges are found by polling (error < 2 x 10 ms + a read),
# so the 1 s covers the RTC's whole-second resolution with a wide margin
# and the 2% catches a clock that runs at a wrong rate.
check_rtc_rate() {
	if [ -z "${want_rate+set}" ]; then result rtc-rate SKIP; return; fi
	if ! is_number "$want_rate" || [ "$want_rate" -lt 1 ] || [ "$want_rate" -gt 600 ]; then
		result rtc-rate FAIL "bad keel.rate_secs=$want_rate (1..600)"; return
	fi
	if ! clock=$(hwclock -r -u -f /dev/rtc0 2>&1); then
		result rtc-rate FAIL "hwclock -r -u: $clock"; return
	fi
	first=$(rtc_secs)
	if ! is_number "$first"; then result rtc-rate FAIL "cannot read rtc0"; return; fi
	# Start on an RTC second boundary (polls bounded: a stopped RTC fails).
	if ! edge=$(wait_rtc $((first + 1)) 300); then
		result rtc-rate FAIL "RTC stuck at $first for 3 s of polling"; return
	fi
	start=${edge% *} t0=${edge#* }
	if ! edge=$(wait_rtc $((start + want_rate)) $((want_rate * 300 + 300))); then
		result rtc-rate FAIL "RTC did not advance $want_rate s (from $start, now $(rtc_secs))"
		return
	fi
	t1=${edge#* }
	elapsed=$((t1 - t0))
	want_cs=$((want_rate * 100))
	tol_cs=$((100 + 2 * want_rate))
	diff=$((elapsed - want_cs))
	[ $diff -lt 0 ] && diff=$((-diff))
	secs="$((elapsed / 100)).$((elapsed % 100 / 10))$((elapsed % 10))"
	detail="RTC $want_rate s = monotonic $secs s (tolerance $tol_cs cs; RTC reads $clock)"
	if [ $diff -le $tol_cs ]; then
		result rtc-rate PASS "$detail"
	else
		result rtc-rate FAIL "$detail"
	fi
}

check_power_button() {
	if grep -q '^N: Name="Power Button"' /proc/bus/input/devices; then
		result power-button PASS
	else
		result power-button FAIL "no ACPI Power Button input device (button.ko, evdev.ko)"
	fi
}

# busybox acpid reads every /dev/input/eventN and, on the power button key,
# runs /etc/acpi/power (via /etc/acpid.conf), which powers off. -d keeps it
# in the foreground logging to the console, so it is put in the background.
start_acpid() {
	acpid -d -c /etc/acpi -a /etc/acpid.conf >/dev/console 2>&1 &
	usleep 200000
	if pidof acpid >/dev/null; then
		result acpid PASS "pid $(pidof acpid)"
	else
		result acpid FAIL "acpid did not start"
	fi
}

# Run last, so that trouble the other checks caused is seen. The patterns
# are the kernel's own report formats: WARN() prints "WARNING: CPU: n PID:
# n at ...", BUG()/bad faults "BUG: ..." or "kernel BUG at", oopses
# "Oops", and each comes with a "Call Trace:" (as do lockup and stall
# reports). Plain notices that merely contain the word, such as RETBleed's
# "WARNING: Spectre v2 mitigation leaves CPU vulnerable" on some hosts, are
# not failures. The offending lines and their stack traces are printed.
DMESG_BAD='WARNING: CPU: [0-9]+ PID: [0-9]+|(^|[^A-Za-z_])BUG: |kernel BUG at|Oops|Call Trace'

check_dmesg() {
	bad=$(dmesg | grep -E "$DMESG_BAD")
	if [ -z "$bad" ]; then
		result dmesg PASS
		return
	fi
	echo "$bad" | head -n 20 | sed 's/^/KEEL-DMESG /'
	dmesg | grep -B 2 -A 30 'Call Trace' | head -n 80 | sed 's/^/KEEL-DMESG /'
	result dmesg FAIL "$(echo "$bad" | wc -l) lines match '$DMESG_BAD'"
}

check_modules
check_cpus
check_mem
check_rng
check_disk
check_rtc_rate
check_power_button
start_acpid
check_dmesg

if [ -z "$FAILED" ]; then
	echo "KEEL-LINUX: PASS"
else
	echo "KEEL-LINUX: FAIL$FAILED"
fi

# ---------------------------------------------------------------- shell
# An operator's shell on the console, with job control (cttyhack makes the
# console tty the controlling terminal), started again whenever it exits.
export PS1='keel-linux# '
while true; do
	setsid cttyhack sh
	echo "keel-linux: shell exited, starting another"
	sleep 1
done
