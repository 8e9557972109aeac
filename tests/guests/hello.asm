; hello: the simplest guest. Checks the multiboot hand-over (EAX magic,
; information flags MEM, CMDLINE and MMAP, a zeroed bss, modules that are
; page aligned and clear of the kernel) and prints everything it got:
; memory sizes, command line, modules (size, string, first bytes), the
; memory map and the loader's name.

%define GUEST_NAME "hello"
%include "lib.inc"

MBI_WANTED	equ MBI_F_MEMORY | MBI_F_CMDLINE | MBI_F_MMAP
MAX_MEM_LOWER	equ 640		; KiB below the 640 KiB hole
BSS_PROBE_SIZE	equ 4096
SHOW_BYTES	equ 16		; first bytes of a module to print
PAGE_MASK	equ 0xfff

section .bss
bss_probe:	resb BSS_PROBE_SIZE	; must arrive zeroed

section .text
main:
	PUTS	`hello: hello from a multiboot guest\n`
	EXPECT	dword [mb_magic], MB_BOOT_MAGIC, 1, "EAX at entry is not 0x2BADB002"
	mov	ebx, [mb_info]
	PUTS	"hello: mbi "
	PUTHEX	ebx
	PUTS	" flags "
	PUTHEX	[ebx + MBI_FLAGS]
	PUTC	`\n`
	mov	eax, [ebx + MBI_FLAGS]
	and	eax, MBI_WANTED
	EXPECT	eax, MBI_WANTED, 2, "multiboot flags lack MEM, CMDLINE or MMAP"
	call	check_bss
	call	show_memory
	PUTS	"hello: cmdline '"
	PUTS_AT	[ebx + MBI_CMDLINE]
	PUTS	`'\n`
	call	show_modules
	call	show_mmap
	test	dword [ebx + MBI_FLAGS], MBI_F_LOADER_NAME
	jz	.done
	PUTS	"hello: loader '"
	PUTS_AT	[ebx + MBI_LOADER_NAME]
	PUTS	`'\n`
.done:	ret

check_bss:
	mov	edi, bss_probe
	mov	ecx, BSS_PROBE_SIZE / 4
	xor	eax, eax
	repe scasd
	je	.ok
	FAIL	3, "bss is not zeroed"
.ok:	PUTS	`hello: bss is zeroed\n`
	ret

; ebx = mbi
show_memory:
	PUTS	"hello: mem_lower "
	PUTDEC	[ebx + MBI_MEM_LOWER]
	PUTS	" KiB, mem_upper "
	PUTDEC	[ebx + MBI_MEM_UPPER]
	PUTS	` KiB\n`
	cmp	dword [ebx + MBI_MEM_LOWER], MAX_MEM_LOWER
	jbe	.ok
	FAIL	4, "mem_lower is above 640 KiB"
.ok:	ret

; ebx = mbi. One line per module; checks each lies behind the kernel
; image, page aligned (we asked for MBH_PAGE_ALIGN), end >= start.
show_modules:
	xor	ecx, ecx
	test	dword [ebx + MBI_FLAGS], MBI_F_MODS
	jz	.count
	mov	ecx, [ebx + MBI_MODS_COUNT]
.count:	PUTS	"hello: "
	PUTDEC	ecx
	PUTS	` modules\n`
	mov	esi, [ebx + MBI_MODS_ADDR]
	xor	edx, edx		; module number
.next:	cmp	edx, ecx
	jae	.done
	call	show_module
	add	esi, MOD_ENTRY_SIZE
	inc	edx
	jmp	.next
.done:	ret

; esi = module entry, edx = its number
show_module:
	pushad
	mov	eax, [esi + MOD_START]
	mov	edi, [esi + MOD_END]
	PUTS	"hello: module "
	PUTDEC	edx
	PUTS	" at "
	PUTHEX	eax
	PUTS	" size "
	sub	edi, eax
	jae	.sized
	FAIL	5, "module ends before it starts"
.sized:	PUTDEC	edi
	PUTS	" string '"
	PUTS_AT	[esi + MOD_STRING]
	PUTS	"' bytes"
	test	eax, PAGE_MASK
	jz	.aligned
	FAIL	6, "module is not page aligned"
.aligned:
	cmp	eax, _bss_end
	jae	.clear
	FAIL	7, "module overlaps the kernel image"
.clear:	mov	esi, eax
	mov	ecx, edi
	cmp	ecx, SHOW_BYTES
	jbe	.bytes
	mov	ecx, SHOW_BYTES
.bytes:	jecxz	.eol
.byte:	PUTC	' '
	lodsb
	PUTHEX8	eax
	loop	.byte
.eol:	PUTC	`\n`
	popad
	ret

; ebx = mbi
show_mmap:
	mov	esi, [ebx + MBI_MMAP_ADDR]
	mov	edi, esi
	add	edi, [ebx + MBI_MMAP_LENGTH]
.entry:	cmp	esi, edi
	jae	.done
	PUTS	"hello: mmap "
	PUTHEX	[esi + MMAP_BASE + 4]
	PUTHEX	[esi + MMAP_BASE]
	PUTS	" length "
	PUTHEX	[esi + MMAP_LENGTH + 4]
	PUTHEX	[esi + MMAP_LENGTH]
	PUTS	" type "
	PUTDEC	[esi + MMAP_TYPE]
	PUTC	`\n`
	add	esi, [esi + MMAP_SIZE]
	add	esi, 4
	jmp	.entry
.done:	ret
