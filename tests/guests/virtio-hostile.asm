; virtio-hostile: a driver that misprograms its virtio-blk device on
; purpose, and checks from inside that the device contains the damage:
; it refuses the bad rings with NEEDS_RESET, writes nothing it should not,
; and works again after a reset. The domain must simply keep running.
;
; Virtio 1.2 (OASIS): 2.1 (device status, NEEDS_RESET), 2.7 (split
; virtqueues), 3.1.1 (driver initialisation), 4.1.4 (the PCI capabilities
; and the common configuration), 5.2.6 (block requests). PCI 3.0 3.2.2.3.2
; (configuration mechanism #1), 6.2.5 (BARs), 6.7 (capabilities list).
;
; Steps, each followed by a line saying what the device did:
;   find the function 1AF4:1042 on bus 0 (devices 1..31, 0xCF8/0xCFC),
;   take BAR 4 (64-bit, must lie below 4 GiB) and BAR 1 (MSI-X), set
;   Command.MEM, walk the capabilities to the common, ISR, device and notify
;   structures; read the capacity; feature negotiation that must be
;   refused (no VERSION_1; a feature not offered; DRIVER_OK before
;   FEATURES_OK), then the proper one (VERSION_1 only).
;   a1) all three rings in the PCI window hole (0xF0000000): a kick before
;       DRIVER_OK does nothing; after DRIVER_OK it sets NEEDS_RESET, the ISR
;       shows a configuration change (and reading clears it), and neither
;       a status write nor a driver's own NEEDS_RESET bit changes that;
;   a2) a valid request whose used ring is in the hole; a3) a descriptor
;       table in the hole: NEEDS_RESET;
;   b1) a descriptor loop; b2) a next index beyond the queue; b3) an
;       available-ring head beyond the queue: NEEDS_RESET, used idx stays 0;
;   c1) a chain whose writable bytes pass 4 GiB - 1 (a 0xFFFFFFFF-byte
;       buffer plus the status byte); c3) avail idx 1000 with a queue of 8:
;       NEEDS_RESET, used idx stays 0; c2) a legal chain asking for
;       0xFFFFFE00 bytes: answered IOERR, the device stays usable;
;   d) valid reads: sector 0 ("KEELDISK", then byte i = i), sector 127
;      (byte i = i + 127), sector 128 (past the end: IOERR);
;   e) queue_select values with no queue behind them (their fields read 0
;      and ignore writes), pseudo-random writes of every width to the common
;      configuration, ISR, device configuration and MSI-X table/PBA, a
;      reset, and sector 0 read again.
; The disk is the one tests/system/conftest.py (guests_image) and
; check-qemu.sh make: 64 KiB, byte o = (o + o / 512) mod 256, except that
; it starts with "KEELDISK".
;
; Outside Keel (CPUID 0x40000000 is not "KeelKeelKeel") the checks of the
; device's reaction to bad rings only report: QEMU handles broken drivers
; its own way. The device must be there, negotiate VERSION_1 and serve the
; valid reads everywhere.
;
; Fail codes:
;   1 no virtio-blk function          2 BAR 4 not 64-bit memory below 4 GiB
;   3 a virtio structure missing or not in BAR 4
;   4 layout differs from Keel's (0/0x1000/0x2000/0x3000, multiplier 4)
;   5 capacity is not 128 sectors     6 FEATURES_OK without VERSION_1
;   7 FEATURES_OK with a feature not offered
;   8 DRIVER_OK stuck without FEATURES_OK
;   9 FEATURES_OK refused for VERSION_1 alone   10 VERSION_1 not offered
;  11 status not 0 after a reset      12 queue_enable does not read 1
;  16 a kick before DRIVER_OK acted   17 a1: status not NEEDS_RESET|0x0f
;  18 a1: ISR is not 2                19 a1: reading the ISR did not clear it
;  20 a1: a status write cleared NEEDS_RESET
;  21 a1: a kick of a broken queue changed the status
;  22 a2: status   23 a3: status   24/25 b1: status/used idx
;  26/27 b2: status/used idx          28/29 b3: status/used idx
;  30/31 c1: status/used idx          32/33/34 c2: status/used idx/not IOERR
;  35 c2: used length not 1           36/37 c3: status/used idx
;  38 the driver set NEEDS_RESET itself
;  40 a valid request never completed 41 its status is not OK
;  42 used id is not the head         43 used length is not 513
;  44 sector 0 does not start "KEELDISK"
;  45 sector 0 data wrong             46 ISR is not 1 after the request
;  47 sector 127 data wrong           48 sector 128 not IOERR
;  49 status not 0x0f after a valid request
;  50 a field of an absent queue is not 0   51 queue_select reads back wrong
;  52 status not 0 after the garbage and a reset

%define GUEST_NAME "virtio-hostile"
%include "lib.inc"

CPUID_HV_LEAF	equ 0x40000000
SIG_KEEL	equ 'Keel'

; PCI (vmm/vpci.h)
PCI_ADDR	equ 0xcf8
PCI_DATA	equ 0xcfc
PCI_ENABLE	equ 0x80000000
VBLK_ID		equ 0x10421af4	; device 1042, vendor 1af4
PCI_COMMAND	equ 0x04
PCI_BAR1	equ 0x14
PCI_BAR4	equ 0x20
PCI_CAP_PTR	equ 0x34
CMD_MEM		equ 0x2
BAR_TYPE_MASK	equ 0x7		; memory, type (bits 2:1)
BAR_MEM64	equ 0x4
CAP_VNDR	equ 0x09
CAP_TYPE	equ 3		; struct virtio_pci_cap
CAP_BAR		equ 4
CAP_OFFSET	equ 8
CAP_MULT	equ 16
CFG_COMMON	equ 1
CFG_NOTIFY	equ 2
CFG_ISR		equ 3
CFG_DEVICE	equ 4
VIRTIO_BAR	equ 4
MAX_CAPS	equ 48
MSIX_PBA	equ 0x800	; in BAR 1 (Keel and QEMU)		; bound on the capability walk

; Common configuration (vmm/virtio_pci.h)
DFSELECT	equ 0x00
DF		equ 0x04
GFSELECT	equ 0x08
GF		equ 0x0c
STATUS		equ 0x14
Q_SELECT	equ 0x16
Q_SIZE		equ 0x18
Q_MSIX		equ 0x1a
Q_ENABLE	equ 0x1c
Q_NOFF		equ 0x1e
Q_DESC		equ 0x20
Q_DRIVER	equ 0x28
Q_DEVICE	equ 0x30
S_ACK		equ 1
S_DRIVER	equ 2
S_DRIVER_OK	equ 4
S_FEATURES_OK	equ 8
S_NEEDS_RESET	equ 0x40
S_RUNNING	equ S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK
S_BROKEN	equ S_RUNNING | S_NEEDS_RESET
ISR_QUEUE	equ 1
ISR_CONFIG	equ 2
F_VERSION_1_HI	equ 1		; feature 32: bit 0 of window 1

; Split virtqueue (vmm/virtq.h) and block requests (vmm/virtio_blk.h)
QSIZE		equ 8
D_NEXT		equ 1
D_WRITE		equ 2
BLK_T_IN	equ 0
BLK_S_OK	equ 0
BLK_S_IOERR	equ 1
SECTOR		equ 512
DISK_SECTORS	equ 128
UNTOUCHED	equ 0xff	; the status byte before the device answers

HOLE		equ 0xf0000000	; PCI window, no BAR there: neither RAM nor device
POLL_TRIES	equ 200
POLL_DELAY	equ 20000
GARBAGE_WRITES	equ 400
GARBAGE_SEED	equ 0x2545f491

section .bss
alignb 4096
ring_page:	resb 4096
data_page:	resb 4096
desc_tbl	equ ring_page		; QSIZE * 16 bytes
avail_ring	equ ring_page + 0x200	; flags, idx, ring[QSIZE]
used_ring	equ ring_page + 0x400	; flags, idx, {id, len}[QSIZE]
req_hdr		equ ring_page + 0x800	; type, reserved, sector
req_status	equ ring_page + 0x810
data_buf	equ data_page

under_keel:	resd 1
pci_dev:	resd 1		; CONFIG_ADDRESS of the function, register 0
bar1:		resd 1
bar4:		resd 1
pba:		resd 1		; the MSI-X pending bit array (BAR 1 + 0x800)
ccfg:		resd 1		; addresses of the virtio structures
isr:		resd 1
devcfg:		resd 1
notify:		resd 1
notify_mult:	resd 1
notify_addr:	resd 1		; queue 0's
q_desc:		resd 1		; the rings the next run_queue programs
q_avail:	resd 1
q_used:		resd 1
rand_state:	resd 1

section .text
main:
	call	detect_keel
	call	find_device
	call	setup_bars
	call	find_caps
	call	show_capacity
	call	negotiation_refusals
	call	case_a
	call	case_b
	call	case_c
	PUTS	`virtio-hostile: d) valid reads after the resets\n`
	call	valid_reads
	call	case_e
	PUTS	`virtio-hostile: e) sector 0 again after the garbage\n`
	xor	edx, edx
	mov	eax, edx
	call	read_sector
	call	verify_read
	PUTS	`virtio-hostile: still running, device still serving\n`
	ret

; ---------------------------------------------------------------- checks

; KEEL_EXPECT a, b, code, "what": under Keel FAIL unless a == b; elsewhere
; print what differed and go on.
%macro KEEL_EXPECT 4
	cmp	%1, %2
	je	%%ok
	cmp	dword [under_keel], 0
	je	%%report
	FAIL	%3, %4
%%report:
	PUTS	"virtio-hostile: (not Keel, only reported) "
	PUTS	%4
	PUTC	`\n`
%%ok:
%endmacro

detect_keel:
	mov	eax, CPUID_HV_LEAF
	cpuid
	cmp	ebx, SIG_KEEL
	jne	.no
	cmp	ecx, SIG_KEEL
	jne	.no
	cmp	edx, SIG_KEEL
	jne	.no
	mov	dword [under_keel], 1
	PUTS	`virtio-hostile: running under Keel: checks are enforced\n`
	ret
.no:	PUTS	`virtio-hostile: not under Keel: the device's reactions only report\n`
	ret

delay:
	push	ecx
	mov	ecx, POLL_DELAY
.spin:	pause
	loop	.spin
	pop	ecx
	ret

; ---------------------------------------------------------------- PCI

; eax = register: eax = its dword in the function's configuration space.
pci_read32:
	push	edx
	or	eax, [pci_dev]
	mov	dx, PCI_ADDR
	out	dx, eax
	mov	dx, PCI_DATA
	in	eax, dx
	pop	edx
	ret

; ecx = register (dword aligned), eax = value.
pci_write32:
	push	edx
	push	eax
	mov	eax, ecx
	or	eax, [pci_dev]
	mov	dx, PCI_ADDR
	out	dx, eax
	pop	eax
	mov	dx, PCI_DATA
	out	dx, eax
	pop	edx
	ret

; Scan devices 1..31 of bus 0 for 1AF4:1042.
find_device:
	mov	ecx, 1
.next:	mov	eax, ecx
	shl	eax, 11
	or	eax, PCI_ENABLE
	mov	[pci_dev], eax
	xor	eax, eax
	call	pci_read32
	cmp	eax, VBLK_ID
	je	.found
	inc	ecx
	cmp	ecx, 32
	jb	.next
	FAIL	1, "no virtio-blk function (1af4:1042) on bus 0"
.found:	PUTS	"virtio-hostile: virtio-blk at 00:"
	PUTHEX8	ecx
	PUTS	`.0\n`
	ret

; BAR 4 (64-bit, below 4 GiB) and BAR 1; memory decoding on.
setup_bars:
	mov	eax, PCI_BAR4
	call	pci_read32
	mov	edx, eax
	and	edx, BAR_TYPE_MASK
	cmp	edx, BAR_MEM64
	je	.is64
	FAIL	2, "BAR 4 is not a 64-bit memory BAR"
.is64:	and	eax, ~0xf
	mov	[bar4], eax
	mov	eax, PCI_BAR4 + 4
	call	pci_read32
	test	eax, eax
	jz	.low
	FAIL	2, "BAR 4 lies above 4 GiB"
.low:	mov	eax, PCI_BAR1
	call	pci_read32
	and	eax, ~0xf
	mov	[bar1], eax
	add	eax, MSIX_PBA
	mov	[pba], eax
	mov	eax, PCI_COMMAND
	call	pci_read32
	PUTS	"virtio-hostile: BAR4 "
	PUTHEX	[bar4]
	PUTS	" BAR1 "
	PUTHEX	[bar1]
	PUTS	" command "
	PUTHEX	eax
	PUTC	`\n`
	and	eax, 0xffff		; keep Status (RW1C) untouched
	or	eax, CMD_MEM
	mov	ecx, PCI_COMMAND
	call	pci_write32
	ret

; Walk the capabilities: the vendor-specific ones give the structures.
find_caps:
	mov	eax, PCI_CAP_PTR
	call	pci_read32
	movzx	esi, al
	mov	edi, MAX_CAPS
.cap:	and	esi, 0xfc
	jz	.done
	dec	edi
	jz	.done
	mov	eax, esi
	call	pci_read32		; id, next, len, cfg_type
	cmp	al, CAP_VNDR
	jne	.next
	shr	eax, 24			; cfg_type
	mov	ebx, eax
	lea	eax, [esi + CAP_BAR]
	call	pci_read32
	cmp	al, VIRTIO_BAR
	jne	.next			; (the PCI access window names no BAR yet)
	lea	eax, [esi + CAP_OFFSET]
	call	pci_read32
	add	eax, [bar4]
	cmp	ebx, CFG_COMMON
	jne	.isr
	mov	[ccfg], eax
.isr:	cmp	ebx, CFG_ISR
	jne	.dev
	mov	[isr], eax
.dev:	cmp	ebx, CFG_DEVICE
	jne	.notify
	mov	[devcfg], eax
.notify:
	cmp	ebx, CFG_NOTIFY
	jne	.next
	mov	[notify], eax
	lea	eax, [esi + CAP_MULT]
	call	pci_read32
	mov	[notify_mult], eax
.next:	mov	eax, esi
	call	pci_read32
	movzx	esi, ah			; next pointer
	jmp	.cap
.done:	cmp	dword [ccfg], 0
	je	.missing
	cmp	dword [isr], 0
	je	.missing
	cmp	dword [devcfg], 0
	je	.missing
	cmp	dword [notify], 0
	jne	.layout
.missing:
	FAIL	3, "a virtio structure (common, ISR, device, notify) is missing or not in BAR 4"
.layout:
	PUTS	"virtio-hostile: common +"
	mov	eax, [ccfg]
	sub	eax, [bar4]
	PUTHEX	eax
	mov	ebx, eax
	PUTS	" isr +"
	mov	eax, [isr]
	sub	eax, [bar4]
	PUTHEX	eax
	xor	eax, 0x1000
	or	ebx, eax
	PUTS	" device +"
	mov	eax, [devcfg]
	sub	eax, [bar4]
	PUTHEX	eax
	xor	eax, 0x2000
	or	ebx, eax
	PUTS	" notify +"
	mov	eax, [notify]
	sub	eax, [bar4]
	PUTHEX	eax
	xor	eax, 0x3000
	or	ebx, eax
	PUTS	" multiplier "
	PUTDEC	[notify_mult]
	PUTC	`\n`
	mov	eax, [notify_mult]
	xor	eax, 4
	or	ebx, eax
	KEEL_EXPECT ebx, 0, 4, "layout differs from Keel's documented one"
	ret

show_capacity:
	mov	ebx, [devcfg]
	mov	eax, [ebx]		; le64 capacity, low half
	PUTS	"virtio-hostile: capacity "
	PUTDEC	eax
	PUTS	` sectors\n`
	KEEL_EXPECT eax, DISK_SECTORS, 5, "the capacity is not 128 sectors"
	ret

; ---------------------------------------------------------------- the handshake

; Reset and wait (boundedly) for device_status to read 0; eax = status.
vreset:
	push	ecx
	push	ebx
	mov	ebx, [ccfg]
	mov	byte [ebx + STATUS], 0
	mov	ecx, POLL_TRIES
.poll:	movzx	eax, byte [ebx + STATUS]
	test	eax, eax
	jz	.done
	call	delay
	loop	.poll
.done:	pop	ebx
	pop	ecx
	ret

; eax = low, edx = high window of the driver's features; reset,
; ACKNOWLEDGE, DRIVER, write them, FEATURES_OK. eax = the status after.
negotiate:
	push	ebx
	push	eax
	call	vreset
	KEEL_EXPECT eax, 0, 11, "device_status does not read 0 after a reset"
	mov	ebx, [ccfg]
	mov	byte [ebx + STATUS], S_ACK
	mov	byte [ebx + STATUS], S_ACK | S_DRIVER
	mov	dword [ebx + DFSELECT], 1
	mov	eax, [ebx + DF]
	test	eax, F_VERSION_1_HI
	jnz	.v1
	FAIL	10, "the device does not offer VERSION_1"
.v1:	pop	eax
	mov	dword [ebx + GFSELECT], 0
	mov	[ebx + GF], eax
	mov	dword [ebx + GFSELECT], 1
	mov	[ebx + GF], edx
	mov	byte [ebx + STATUS], S_ACK | S_DRIVER | S_FEATURES_OK
	movzx	eax, byte [ebx + STATUS]
	pop	ebx
	ret

; The proper negotiation: VERSION_1 only. It must be accepted.
handshake:
	push	edx
	xor	eax, eax
	mov	edx, F_VERSION_1_HI
	call	negotiate
	pop	edx
	test	eax, S_FEATURES_OK
	jnz	.ok
	FAIL	9, "FEATURES_OK refused for VERSION_1 alone"
.ok:	ret

negotiation_refusals:
	mov	ebx, [ccfg]
	mov	dword [ebx + DFSELECT], 0
	mov	eax, [ebx + DF]
	mov	dword [ebx + DFSELECT], 1
	mov	edx, [ebx + DF]
	PUTS	"virtio-hostile: device features "
	PUTHEX	edx
	PUTHEX	eax
	PUTC	`\n`
	xor	eax, eax		; nothing at all: no VERSION_1
	xor	edx, edx
	call	negotiate
	PUTS	"virtio-hostile: features 0: status "
	PUTHEX8	eax
	PUTC	`\n`
	and	eax, S_FEATURES_OK
	KEEL_EXPECT eax, 0, 6, "FEATURES_OK accepted without VERSION_1"
	xor	eax, eax		; VERSION_1 and feature 63, not offered
	mov	edx, 0x80000000 | F_VERSION_1_HI
	call	negotiate
	PUTS	"virtio-hostile: features VERSION_1|63: status "
	PUTHEX8	eax
	PUTC	`\n`
	and	eax, S_FEATURES_OK
	KEEL_EXPECT eax, 0, 7, "FEATURES_OK accepted with a feature not offered"
	call	vreset
	mov	byte [ebx + STATUS], S_ACK
	mov	byte [ebx + STATUS], S_ACK | S_DRIVER
	mov	byte [ebx + STATUS], S_ACK | S_DRIVER | S_DRIVER_OK
	movzx	eax, byte [ebx + STATUS]
	PUTS	"virtio-hostile: DRIVER_OK before FEATURES_OK: status "
	PUTHEX8	eax
	PUTC	`\n`
	KEEL_EXPECT eax, S_ACK | S_DRIVER, 8, "DRIVER_OK stuck without FEATURES_OK"
	call	handshake
	PUTS	`virtio-hostile: VERSION_1 accepted\n`
	ret

; ---------------------------------------------------------------- queue 0

; Program queue 0 with the rings at q_desc/q_avail/q_used, size QSIZE,
; enable it. After handshake.
queue_setup:
	push	ebx
	push	eax
	mov	ebx, [ccfg]
	mov	word [ebx + Q_SELECT], 0
	mov	word [ebx + Q_SIZE], QSIZE
	mov	eax, [q_desc]
	mov	[ebx + Q_DESC], eax
	mov	dword [ebx + Q_DESC + 4], 0
	mov	eax, [q_avail]
	mov	[ebx + Q_DRIVER], eax
	mov	dword [ebx + Q_DRIVER + 4], 0
	mov	eax, [q_used]
	mov	[ebx + Q_DEVICE], eax
	mov	dword [ebx + Q_DEVICE + 4], 0
	movzx	eax, word [ebx + Q_NOFF]
	imul	eax, [notify_mult]
	add	eax, [notify]
	mov	[notify_addr], eax
	mov	word [ebx + Q_ENABLE], 1
	movzx	eax, word [ebx + Q_ENABLE]
	KEEL_EXPECT eax, 1, 12, "queue_enable does not read 1 after enabling"
	pop	eax
	pop	ebx
	ret

kick:
	push	ebx
	mov	ebx, [notify_addr]
	mov	word [ebx], 0		; the queue's index
	pop	ebx
	ret

; Clear the ring page and the data page; the status byte gets UNTOUCHED.
clear_rings:
	push	edi
	push	ecx
	push	eax
	xor	eax, eax
	mov	edi, ring_page
	mov	ecx, 2 * 4096 / 4
	rep stosd
	mov	byte [req_status], UNTOUCHED
	mov	dword [q_desc], desc_tbl
	mov	dword [q_avail], avail_ring
	mov	dword [q_used], used_ring
	pop	eax
	pop	ecx
	pop	edi
	ret

; DESC index, address, length, flags, next
%macro DESC 5
	mov	dword [desc_tbl + (%1) * 16], %2
	mov	dword [desc_tbl + (%1) * 16 + 4], 0
	mov	dword [desc_tbl + (%1) * 16 + 8], %3
	mov	word [desc_tbl + (%1) * 16 + 12], %4
	mov	word [desc_tbl + (%1) * 16 + 14], %5
%endmacro

; A block read of sector eax into data_buf in descriptors 0..2, published
; as available-ring entry 0 (idx 1). data length in ecx.
prepare_read:
	mov	dword [req_hdr], BLK_T_IN
	mov	dword [req_hdr + 4], 0
	mov	[req_hdr + 8], eax
	mov	dword [req_hdr + 12], 0
	DESC	0, req_hdr, 16, D_NEXT, 1
	DESC	1, data_buf, ecx, D_WRITE | D_NEXT, 2
	DESC	2, req_status, 1, D_WRITE, 0
	mov	word [avail_ring + 4], 0
	mov	word [avail_ring + 2], 1
	ret

; The rings are ready in memory: negotiate, program the queue, DRIVER_OK,
; kick, and wait (boundedly) for NEEDS_RESET or, with the used ring in
; our RAM, for used idx to move. eax = device_status at the end.
run_queue:
	push	ebx
	push	ecx
	call	handshake
	call	queue_setup
	mov	ebx, [ccfg]
	mov	byte [ebx + STATUS], S_RUNNING
	call	kick
	mov	ecx, POLL_TRIES
.poll:	movzx	eax, byte [ebx + STATUS]
	test	eax, S_NEEDS_RESET
	jnz	.done
	cmp	dword [q_used], used_ring
	jne	.wait
	cmp	word [used_ring + 2], 0
	jne	.done
.wait:	call	delay
	loop	.poll
.done:	pop	ecx
	pop	ebx
	ret

; Print "virtio-hostile: <esi>: status S, used idx N" (eax = status).
report:
	PUTS	"virtio-hostile: "
	call	uart_puts32
	PUTS	": status "
	PUTHEX8	eax
	PUTS	", used idx "
	push	eax
	movzx	eax, word [used_ring + 2]
	PUTDEC	eax
	pop	eax
	PUTC	`\n`
	ret

; A bad-ring case: esi = its name, edi = fail code for the status (edi + 1
; for used idx, unless the used ring is elsewhere). Runs the queue and
; expects NEEDS_RESET with nothing used.
expect_broken:
	call	run_queue
	call	report
	mov	ecx, eax
	cmp	dword [under_keel], 0
	je	.report_only
	cmp	ecx, S_BROKEN
	jne	.bad_status
	cmp	word [used_ring + 2], 0
	jne	.bad_used
	cmp	byte [req_status], UNTOUCHED
	jne	.bad_used
	ret
.bad_status:
	mov	eax, edi
	jmp	guest_fail32		; esi = the case's name
.bad_used:
	lea	eax, [edi + 1]
	jmp	guest_fail32
.report_only:
	cmp	ecx, S_BROKEN
	je	.ok
	PUTS	`virtio-hostile: (not Keel, only reported) no NEEDS_RESET\n`
.ok:	ret

; ---------------------------------------------------------------- a) rings outside RAM

STR	name_a1, "a1) rings at f0000000 (PCI hole), kicked"
STR	name_a2, "a2) used ring in the PCI hole"
STR	name_a3, "a3) descriptor table in the PCI hole"

case_a:
	call	clear_rings
	mov	dword [q_desc], HOLE
	mov	dword [q_avail], HOLE + 0x1000
	mov	dword [q_used], HOLE + 0x2000
	call	handshake
	call	queue_setup
	call	kick			; before DRIVER_OK: not to be acted on
	mov	ebx, [ccfg]
	movzx	eax, byte [ebx + STATUS]
	PUTS	"virtio-hostile: a1) kick before DRIVER_OK: status "
	PUTHEX8	eax
	PUTC	`\n`
	KEEL_EXPECT eax, S_ACK | S_DRIVER | S_FEATURES_OK, 16, "a kick before DRIVER_OK acted"
	mov	byte [ebx + STATUS], S_RUNNING | S_NEEDS_RESET	; not the driver's bit
	movzx	eax, byte [ebx + STATUS]
	KEEL_EXPECT eax, S_RUNNING, 38, "the driver set NEEDS_RESET itself"
	call	kick
	mov	ecx, POLL_TRIES
.poll:	movzx	eax, byte [ebx + STATUS]
	test	eax, S_NEEDS_RESET
	jnz	.broken
	call	delay
	loop	.poll
.broken:
	mov	esi, name_a1
	call	report
	KEEL_EXPECT eax, S_BROKEN, 17, "a1: no NEEDS_RESET for rings outside RAM"
	mov	edx, [isr]
	movzx	eax, byte [edx]
	movzx	ecx, byte [edx]
	PUTS	"virtio-hostile: a1) ISR "
	PUTHEX8	eax
	PUTS	", then "
	PUTHEX8	ecx
	PUTC	`\n`
	KEEL_EXPECT eax, ISR_CONFIG, 18, "a1: the ISR does not show a configuration change"
	KEEL_EXPECT ecx, 0, 19, "a1: reading the ISR did not clear it"
	mov	byte [ebx + STATUS], S_RUNNING	; the driver cannot clear it
	movzx	eax, byte [ebx + STATUS]
	KEEL_EXPECT eax, S_BROKEN, 20, "a1: a status write cleared NEEDS_RESET"
	call	kick			; a broken queue stays quiet
	movzx	eax, byte [ebx + STATUS]
	KEEL_EXPECT eax, S_BROKEN, 21, "a1: a kick of a broken queue changed the status"

	; a2: a valid request, but the used ring is in the hole.
	call	clear_rings
	mov	eax, 0
	mov	ecx, SECTOR
	call	prepare_read
	mov	dword [q_used], HOLE
	mov	esi, name_a2
	mov	edi, 22
	call	expect_broken_no_used
	; a3: the descriptor table in the hole, the rest in RAM.
	call	clear_rings
	mov	eax, 0
	mov	ecx, SECTOR
	call	prepare_read
	mov	dword [q_desc], HOLE
	mov	esi, name_a3
	mov	edi, 23
	call	expect_broken
	ret

; Like expect_broken where the used ring is not ours to look at (the
; request itself may have been carried out).
expect_broken_no_used:
	call	run_queue
	call	report
	PUTS	"virtio-hostile: a2) the request's status byte: "
	PUTHEX8	[req_status]
	PUTC	`\n`
	KEEL_EXPECT eax, S_BROKEN, 22, "a2: no NEEDS_RESET for a used ring outside RAM"
	ret

; ---------------------------------------------------------------- b) bad chains

STR	name_b1, "b1) descriptor loop 0 -> 1 -> 0"
STR	name_b2, "b2) next index 100 in a queue of 8"
STR	name_b3, "b3) available head 9 in a queue of 8"

case_b:
	call	clear_rings
	DESC	0, req_hdr, 16, D_NEXT, 1
	DESC	1, req_hdr, 16, D_NEXT, 0
	mov	word [avail_ring + 4], 0
	mov	word [avail_ring + 2], 1
	mov	esi, name_b1
	mov	edi, 24
	call	expect_broken

	call	clear_rings
	DESC	0, req_hdr, 16, D_NEXT, 100
	mov	word [avail_ring + 4], 0
	mov	word [avail_ring + 2], 1
	mov	esi, name_b2
	mov	edi, 26
	call	expect_broken

	call	clear_rings
	mov	eax, 0
	mov	ecx, SECTOR
	call	prepare_read
	mov	word [avail_ring + 4], QSIZE + 1
	mov	esi, name_b3
	mov	edi, 28
	call	expect_broken
	ret

; ---------------------------------------------------------------- c) sizes

STR	name_c1, "c1) writable bytes 0xffffffff + 1"
STR	name_c2, "c2) a legal chain asking for 0xfffffe00 bytes"
STR	name_c3, "c3) avail idx 1000 in a queue of 8"

case_c:
	call	clear_rings
	mov	eax, 0
	mov	ecx, 0xffffffff
	call	prepare_read
	mov	esi, name_c1
	mov	edi, 30
	call	expect_broken

	call	clear_rings
	mov	eax, 0
	mov	ecx, 0xfffffe00
	call	prepare_read
	call	run_queue
	mov	esi, name_c2
	call	report
	movzx	ecx, byte [req_status]
	mov	edx, [used_ring + 8]	; used[0].len
	PUTS	"virtio-hostile: c2) request status "
	PUTHEX8	ecx
	PUTS	", used length "
	PUTDEC	edx
	PUTC	`\n`
	KEEL_EXPECT eax, S_RUNNING, 32, "c2: an oversized request broke the device"
	movzx	eax, word [used_ring + 2]
	KEEL_EXPECT eax, 1, 33, "c2: the oversized request was not given back"
	KEEL_EXPECT ecx, BLK_S_IOERR, 34, "c2: the oversized request was not answered IOERR"
	KEEL_EXPECT edx, 1, 35, "c2: used length is not 1 (the status byte)"

	call	clear_rings
	mov	eax, 0
	mov	ecx, SECTOR
	call	prepare_read
	mov	word [avail_ring + 2], 1000
	mov	esi, name_c3
	mov	edi, 36
	call	expect_broken
	ret

; ---------------------------------------------------------------- d) valid reads

; Read sector eax (SECTOR bytes) into data_buf; fails unless it completes.
; eax = device_status after it.
read_sector:
	push	ecx
	call	clear_rings
	mov	ecx, SECTOR
	call	prepare_read
	push	eax
	mov	edi, data_buf		; not what the disk holds anywhere
	mov	ecx, SECTOR / 4
	mov	eax, 0xa5a5a5a5
	rep stosd
	pop	eax
	call	run_queue
	cmp	word [used_ring + 2], 1
	je	.done
	FAIL	40, "a valid request never completed"
.done:	pop	ecx
	ret

valid_reads:
	xor	edx, edx
	mov	eax, edx
	call	read_sector
	call	verify_read
	mov	edx, DISK_SECTORS - 1
	mov	eax, edx
	call	read_sector
	call	verify_read
	; past the end: IOERR, nothing else
	call	clear_rings
	mov	eax, DISK_SECTORS
	mov	ecx, SECTOR
	call	prepare_read
	call	run_queue
	movzx	ecx, byte [req_status]
	PUTS	"virtio-hostile: d) sector 128 (past the end): status "
	PUTHEX8	ecx
	PUTC	`\n`
	KEEL_EXPECT eax, S_RUNNING, 49, "d: a read past the end broke the device"
	KEEL_EXPECT ecx, BLK_S_IOERR, 48, "d: a read past the end was not answered IOERR"
	ret

; After read_sector of sector edx (eax = device_status): checks the
; answer and the data: byte i = (i + sector) mod 256, except that sector 0
; starts with "KEELDISK".
verify_read:
	push	eax
	movzx	ecx, byte [req_status]
	PUTS	"virtio-hostile: d) sector "
	PUTDEC	edx
	PUTS	": status "
	PUTHEX8	ecx
	PUTS	", used id "
	PUTDEC	[used_ring + 4]
	PUTS	" length "
	PUTDEC	[used_ring + 8]
	PUTS	", data '"
	mov	ebx, data_buf
	mov	edi, 8
.show:	mov	al, [ebx]
	cmp	al, ' '
	jb	.dot
	cmp	al, '~'
	jbe	.put
.dot:	mov	al, '.'
.put:	PUTC	eax
	inc	ebx
	dec	edi
	jnz	.show
	PUTS	`'\n`
	pop	eax
	KEEL_EXPECT eax, S_RUNNING, 49, "d: status is not 0x0f after a valid request"
	EXPECT	ecx, BLK_S_OK, 41, "d: a valid read was not answered OK"
	EXPECT	dword [used_ring + 4], 0, 42, "d: used id is not the chain's head"
	KEEL_EXPECT dword [used_ring + 8], SECTOR + 1, 43, "d: used length is not 513"
	mov	ebx, [isr]
	movzx	eax, byte [ebx]
	KEEL_EXPECT eax, ISR_QUEUE, 46, "d: the ISR does not show a queue interrupt"
	xor	edi, edi		; byte index
	test	edx, edx
	jnz	.data
	EXPECT	dword [data_buf], 'KEEL', 44, "d: sector 0 does not start with KEELDISK"
	EXPECT	dword [data_buf + 4], 'DISK', 44, "d: sector 0 does not start with KEELDISK"
	mov	edi, 8
.data:	lea	eax, [edi + edx]
	cmp	[data_buf + edi], al
	jne	.bad
	inc	edi
	cmp	edi, SECTOR
	jb	.data
	ret
.bad:	PUTS	"virtio-hostile: data differs at byte "
	PUTDEC	edi
	PUTC	`\n`
	test	edx, edx
	jnz	.bad127
	FAIL	45, "d: sector 0 holds the wrong data"
.bad127:
	FAIL	47, "d: sector 127 holds the wrong data"

; ---------------------------------------------------------------- e) garbage

section .rodata
absent_queues:	dw 1, QSIZE, 0x100, 0x7fff, 0xffff
ABSENT_COUNT	equ 5
section .text

case_e:
	call	handshake
	mov	ebx, [ccfg]
	mov	esi, absent_queues
	mov	ecx, ABSENT_COUNT
.absent:
	movzx	edx, word [esi]
	mov	[ebx + Q_SELECT], dx
	mov	word [ebx + Q_SIZE], QSIZE
	mov	dword [ebx + Q_DESC], desc_tbl
	mov	word [ebx + Q_MSIX], 0
	mov	word [ebx + Q_ENABLE], 1
	movzx	eax, word [ebx + Q_SELECT]
	KEEL_EXPECT eax, edx, 51, "e: queue_select reads back wrong"
	movzx	eax, word [ebx + Q_SIZE]
	movzx	edi, word [ebx + Q_ENABLE]
	or	eax, edi
	mov	edi, [ebx + Q_DESC]
	or	eax, edi
	movzx	edi, word [ebx + Q_MSIX]
	or	eax, edi
	movzx	edi, word [ebx + Q_NOFF]
	or	eax, edi
	PUTS	"virtio-hostile: e) queue "
	PUTHEX	edx
	PUTS	" (none): fields or'ed "
	PUTHEX	eax
	PUTC	`\n`
	KEEL_EXPECT eax, 0, 50, "e: a field of a queue that does not exist is not 0"
	add	esi, 2
	dec	ecx
	jnz	.absent

	mov	dword [rand_state], GARBAGE_SEED
	mov	ecx, GARBAGE_WRITES
.garbage:
	call	garbage_write
	loop	.garbage
	mov	ebx, [ccfg]
	movzx	eax, byte [ebx + STATUS]
	PUTS	"virtio-hostile: e) "
	PUTDEC	GARBAGE_WRITES
	PUTS	" garbage writes (common, ISR, device, MSI-X): status "
	PUTHEX8	eax
	PUTC	`\n`
	call	vreset
	PUTS	"virtio-hostile: e) reset: status "
	PUTHEX8	eax
	PUTC	`\n`
	KEEL_EXPECT eax, 0, 52, "e: status not 0 after the garbage and a reset"
	ret

; xorshift32: eax = the next number.
rand:
	mov	eax, [rand_state]
	push	edx
	mov	edx, eax
	shl	edx, 13
	xor	eax, edx
	mov	edx, eax
	shr	edx, 17
	xor	eax, edx
	mov	edx, eax
	shl	edx, 5
	xor	eax, edx
	pop	edx
	mov	[rand_state], eax
	ret

; Where the garbage goes: the variable holding a region's address, and
; a span (a power of 2, at most a page) from there. The common
; configuration's fields get the most; the notify region none (a kick is
; not garbage).
section .rodata
garbage_regions:
	dd	ccfg, 0x40
	dd	ccfg, 0x40
	dd	ccfg, 0x1000
	dd	isr, 0x100
	dd	devcfg, 0x40
	dd	devcfg, 0x1000
	dd	bar1, 0x40		; the MSI-X table
	dd	pba, 0x10
NR_REGIONS	equ 8
section .text

; One naturally aligned write of 1, 2 or 4 bytes of a random value at a
; random offset of a random region.
garbage_write:
	push	ecx
	push	ebx
	push	edx
	call	rand
	mov	edx, eax
	and	edx, NR_REGIONS - 1
	mov	ebx, [garbage_regions + edx * 8]
	mov	ebx, [ebx]			; region base
	mov	ecx, [garbage_regions + edx * 8 + 4]
	dec	ecx				; span - 1
	mov	edx, eax
	shr	edx, 8
	and	edx, ecx			; offset
	shr	eax, 2
	and	eax, 3				; width selector
	push	eax
	call	rand				; the value
	mov	ecx, eax
	pop	eax
	cmp	eax, 1
	je	.word
	ja	.dword
	mov	[ebx + edx], cl
	jmp	.done
.word:	and	edx, ~1
	mov	[ebx + edx], cx
	jmp	.done
.dword:	and	edx, ~3
	mov	[ebx + edx], ecx
.done:	pop	edx
	pop	ebx
	pop	ecx
	ret
