; wild-read: a hostile guest that reads where it has no memory, and checks
; that its own RAM holds nothing it was not given.
;  1. A dword at every 1 MiB step from the top of RAM up to 4 GiB (32-bit
;     code, paging off), then every 1 GiB from 4 GiB up to 64 GiB (or
;     MAXPHYADDR) from 64-bit code through a 2 MiB window. Under Keel each
;     must read all ones, except the pages of the I/O APIC (0xFEC00000) and
;     the local APIC (0xFEE00000), the only devices a domain without
;     PCI devices has in that range; they are skipped.
;  2. Every usable RAM region must read as zero outside what the loader
;     put there: this image, the multiboot information, command line,
;     module list, modules and their strings, memory map, loader name, and
;     the GDT/IDT the loader left in GDTR/IDTR. Anything else would be data
;     leaking from the hypervisor or another domain.
; Outside Keel (CPUID 0x40000000 is not "KeelKeelKeel") it only reports:
; QEMU has devices and firmware data in those places.

%define GUEST_NAME "wild-read"
%define WANT_LONG_MODE
%include "lib.inc"

MIB		equ 1 << 20
GIB		equ 1 << 30
PAGE		equ 4096
HIGH_LIMIT	equ 64		; GiB: how far the 64-bit reads go
MAX_EXCLUDE	equ 64		; ranges the zero scan skips
DEFAULT_PHYS_BITS equ 36
CPUID_EXT_MAX	equ 0x80000000
CPUID_ADDR_SIZE	equ 0x80000008
CPUID_HV_LEAF	equ 0x40000000
SIG_KEEL	equ 'Keel'
ALL_ONES	equ 0xffffffff
IOAPIC_PAGE	equ 0xfec00000	; Keel's platform devices (README, "What a guest sees")
LAPIC_PAGE	equ 0xfee00000

section .bss
under_keel:	resd 1
ram_top:	resq 1		; end of the highest usable RAM
reads:		resq 1		; wild reads done / of them all ones (qwords:
				; 64-bit code prints them too)
ones:		resq 1
dirty:		resd 1		; nonzero pages found by the zero scan
first_dirty:	resd 1
n_exclude:	resd 1
exclude:	resq MAX_EXCLUDE	; [start, end) pairs of dwords

section .text
main:
	mov	ebx, [mb_info]
	test	dword [ebx + MBI_FLAGS], MBI_F_MMAP
	jnz	.map
	FAIL	1, "no memory map"
.map:	call	detect_keel		; (cpuid: clobbers ebx)
	mov	ebx, [mb_info]
	call	mmap_usable_top
	mov	[ram_top], eax
	mov	[ram_top + 4], edx
	call	low_reads
	call	build_exclusions
	call	zero_scan
	mov	eax, long_main
	jmp	enter_long_mode

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
	PUTS	`wild-read: running under Keel: checks are enforced\n`
	ret
.no:	PUTS	`wild-read: not under Keel: checks only report\n`
	ret

; COUNT_READ address: counts the wild read of edx (zero-extended in 64-bit
; code) from address; under Keel anything but all ones fails.
%macro COUNT_READ 1
	inc	dword [reads]
	cmp	edx, ALL_ONES
	jne	%%other
	inc	dword [ones]
	jmp	%%done
%%other:
	cmp	dword [under_keel], 0
	je	%%done
	PUTS	"wild-read: read "
%if __?BITS?__ == 64
	PUTHEX	rdx
%else
	PUTHEX	edx
%endif
	PUTS	" at "
	PUTHEX	%1
	PUTC	`\n`
	FAIL	2, "memory outside RAM does not read as all ones"
%%done:
%endmacro

%macro REPORT_READS 1		; %1 = "where"
	PUTS	"wild-read: "
	PUTDEC	[ones]
	PUTS	" of "
	PUTDEC	[reads]
	PUTS	%1
	mov	dword [reads], 0
	mov	dword [ones], 0
%endmacro

; Every 1 MiB from the top of RAM to 4 GiB.
low_reads:
	mov	eax, [ram_top]
	cmp	dword [ram_top + 4], 0
	jne	.done
	add	eax, MIB - 1
	jc	.done
	and	eax, ~(MIB - 1)
	jz	.done
.read:	cmp	eax, IOAPIC_PAGE
	je	.next
	cmp	eax, LAPIC_PAGE
	je	.next
	mov	edx, [eax]
	COUNT_READ eax
.next:	add	eax, MIB
	jnc	.read
.done:	REPORT_READS ` reads below 4 GiB were all ones\n`
	ret

; eax = start, ecx = length: excludes [eax, eax + ecx) from the zero scan.
add_exclusion:
	push	edi
	mov	edi, [n_exclude]
	cmp	edi, MAX_EXCLUDE
	jb	.room
	FAIL	3, "too many ranges to exclude from the zero scan"
.room:	inc	dword [n_exclude]
	lea	edi, [exclude + edi * 8]
	mov	[edi], eax
	add	eax, ecx
	jnc	.end
	mov	eax, ALL_ONES		; clamp at 4 GiB
.end:	mov	[edi + 4], eax
	pop	edi
	ret

; eax = NUL-terminated string: excludes it and its NUL.
exclude_string:
	push	ecx
	push	edi
	mov	edi, eax
	xor	ecx, ecx
.len:	inc	ecx
	cmp	byte [edi + ecx - 1], 0
	jne	.len
	call	add_exclusion
	pop	edi
	pop	ecx
	ret

; Everything the loader legitimately put in our RAM. ebx = mbi.
build_exclusions:
	mov	eax, _image_start
	mov	ecx, _bss_end
	sub	ecx, eax
	call	add_exclusion
	mov	eax, ebx
	mov	ecx, PAGE		; the structure, and what a loader
	call	add_exclusion		; may pack right behind it
	mov	eax, [ebx + MBI_MMAP_ADDR]
	mov	ecx, [ebx + MBI_MMAP_LENGTH]
	call	add_exclusion
	mov	eax, [ebx + MBI_CMDLINE]
	test	dword [ebx + MBI_FLAGS], MBI_F_CMDLINE
	jz	.name
	call	exclude_string
.name:	mov	eax, [ebx + MBI_LOADER_NAME]
	test	dword [ebx + MBI_FLAGS], MBI_F_LOADER_NAME
	jz	.tables
	call	exclude_string
.tables:
	movzx	ecx, word [entry_gdtr]	; limit
	inc	ecx
	mov	eax, [entry_gdtr + 2]	; base
	call	add_exclusion
	movzx	ecx, word [entry_idtr]
	inc	ecx
	mov	eax, [entry_idtr + 2]
	call	add_exclusion
	test	dword [ebx + MBI_FLAGS], MBI_F_MODS
	jz	.done
	mov	esi, [ebx + MBI_MODS_ADDR]
	mov	edx, [ebx + MBI_MODS_COUNT]
	mov	eax, esi
	mov	ecx, edx
	shl	ecx, 4			; MOD_ENTRY_SIZE each
	call	add_exclusion
.mod:	test	edx, edx
	jz	.done
	mov	eax, [esi + MOD_START]
	mov	ecx, [esi + MOD_END]
	sub	ecx, eax
	call	add_exclusion
	mov	eax, [esi + MOD_STRING]
	call	exclude_string
	add	esi, MOD_ENTRY_SIZE
	dec	edx
	jmp	.mod
.done:	ret

; Scans each usable region below 4 GiB for nonzero dwords outside the
; exclusions; counts the pages that have one.
zero_scan:
	mov	esi, [ebx + MBI_MMAP_ADDR]
	mov	ebp, esi
	add	ebp, [ebx + MBI_MMAP_LENGTH]
.entry:	cmp	esi, ebp
	jae	.report
	cmp	dword [esi + MMAP_TYPE], MMAP_USABLE
	jne	.next
	cmp	dword [esi + MMAP_BASE + 4], 0
	jne	.next
	mov	edi, [esi + MMAP_BASE]
	mov	edx, [esi + MMAP_LENGTH + 4]
	mov	eax, [esi + MMAP_LENGTH]
	add	eax, edi
	adc	edx, 0
	jz	.scan
	mov	eax, -PAGE		; clamp at 4 GiB
.scan:	call	scan_region
.next:	add	esi, [esi + MMAP_SIZE]
	add	esi, 4
	jmp	.entry
.report:
	PUTS	"wild-read: zero scan of usable RAM: "
	PUTDEC	[dirty]
	PUTS	" pages with unexpected data"
	cmp	dword [dirty], 0
	je	.eol
	PUTS	", first at "
	PUTHEX	[first_dirty]
.eol:	PUTC	`\n`
	cmp	dword [under_keel], 0
	je	.done
	cmp	dword [dirty], 0
	je	.done
	FAIL	4, "RAM holds data the guest was not given"
.done:	ret

; edi = start, eax = end (both dword aligned: the map has page-aligned
; usable regions in every loader we know).
scan_region:
	push	esi
	mov	edx, eax
.more:	mov	ecx, edx
	sub	ecx, edi
	jbe	.done
	shr	ecx, 2
	jz	.done
	xor	eax, eax
	repe scasd
	je	.done			; the rest was zero
	lea	eax, [edi - 4]		; the nonzero dword
	call	find_exclusion
	jnc	.skip
	cmp	dword [dirty], 0
	jne	.count
	mov	[first_dirty], eax
.count:	inc	dword [dirty]
	lea	edi, [eax + PAGE]	; on to the next page
	and	edi, ~(PAGE - 1)
	jmp	.more
.skip:	mov	edi, ecx		; past the excluded range
	add	edi, 3
	and	edi, ~3
	jmp	.more
.done:	pop	esi
	ret

; eax = address. CF=0 and ecx = end of the exclusion holding it, or CF=1.
find_exclusion:
	push	esi
	mov	esi, exclude
	mov	ecx, [n_exclude]
.next:	jecxz	.none
	cmp	eax, [esi]
	jb	.skip
	cmp	eax, [esi + 4]
	jb	.found
.skip:	add	esi, 8
	dec	ecx
	jmp	.next
.found:	mov	ecx, [esi + 4]
	clc
	pop	esi
	ret
.none:	stc
	pop	esi
	ret

BITS 64
; Every 1 GiB from 4 GiB (or the top of RAM) to HIGH_LIMIT GiB or
; MAXPHYADDR, whichever is lower, through the window of map_window64.
long_main:
	call	phys_limit		; rbp = first address we cannot map
	mov	rbx, 4 * GIB
.next:	cmp	rbx, rbp
	jae	.done
	cmp	rbx, [ram_top]
	jb	.skip			; RAM up here: not a wild read
	mov	rax, rbx
	call	map_window64
	TRY	.fault
	mov	edx, [rax]
	END_TRY
	COUNT_READ rbx
.skip:	add	rbx, GIB
	jmp	.next
.done:	REPORT_READS ` reads from 4 to 64 GiB were all ones\n`
	PASS
.fault:	END_TRY
	PUTS	"wild-read: exception "
	PUTDEC	[trap_vector]
	PUTS	" reading "
	PUTHEX	rbx
	PUTC	`\n`
	FAIL	5, "a read above 4 GiB faulted"

; rbp = min(HIGH_LIMIT GiB, 2^MAXPHYADDR)
phys_limit:
	mov	eax, CPUID_EXT_MAX
	cpuid
	mov	ecx, DEFAULT_PHYS_BITS
	cmp	eax, CPUID_ADDR_SIZE
	jb	.bits
	mov	eax, CPUID_ADDR_SIZE
	cpuid
	movzx	ecx, al
.bits:	mov	ebp, 1
	shl	rbp, cl
	mov	rax, HIGH_LIMIT * GIB
	cmp	rbp, rax
	jbe	.done
	mov	rbp, rax
.done:	ret
