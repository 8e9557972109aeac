; wild-write: a hostile guest that writes where it has no memory. It fills
; its own free RAM with an address-dependent pattern, writes a dword at
; every 1 MiB step from the top of its RAM (from the multiboot memory map)
; up to 4 GiB, then checks the pattern: the writes must have gone nowhere
; (no aliasing into its RAM) and the guest keeps running. Whatever Keel
; does with them, it must hurt only this guest.

%define GUEST_NAME "wild-write"
%include "lib.inc"

MIB		equ 1 << 20
PAGE		equ 4096
PATTERN		equ 0x5eed0000	; RAM dword at address A holds A ^ PATTERN
WILD_VALUE	equ 0xdeadbeef

section .bss
fill_start:	resd 1		; our free RAM: [fill_start, fill_end)
fill_end:	resd 1
steps:		resd 1
ram_top:	resq 1		; end of the highest usable RAM

section .text
main:
	mov	ebx, [mb_info]
	test	dword [ebx + MBI_FLAGS], MBI_F_MMAP
	jnz	.map
	FAIL	1, "no memory map"
.map:	call	find_free_ram		; read the map before the fill
	call	mmap_usable_top		; overwrites it
	mov	[ram_top], eax
	mov	[ram_top + 4], edx
	call	fill_ram
	call	wild_writes
	call	verify_ram
	PUTS	"wild-write: "
	PUTDEC	[steps]
	PUTS	" writes above RAM; own RAM "
	PUTHEX	[fill_start]
	PUTC	'-'
	PUTHEX	[fill_end]
	PUTS	` intact\n`
	ret

; Free RAM: from the end of this image to the end of the usable region
; that holds it (below 4 GiB). The multiboot information may lie there
; too: it is not used after this point.
find_free_ram:
	mov	eax, _bss_end + PAGE - 1
	and	eax, ~(PAGE - 1)
	mov	[fill_start], eax
	mov	esi, [ebx + MBI_MMAP_ADDR]
	mov	edi, esi
	add	edi, [ebx + MBI_MMAP_LENGTH]
.entry:	cmp	esi, edi
	jae	.none
	cmp	dword [esi + MMAP_TYPE], MMAP_USABLE
	jne	.next
	cmp	dword [esi + MMAP_BASE + 4], 0
	jne	.next
	mov	eax, [esi + MMAP_BASE]
	cmp	eax, [fill_start]
	ja	.next
	mov	edx, [esi + MMAP_LENGTH + 4]
	add	eax, [esi + MMAP_LENGTH]
	adc	edx, 0
	jnz	.clamp			; region reaches 4 GiB
	cmp	eax, [fill_start]
	ja	.found
.next:	add	esi, [esi + MMAP_SIZE]
	add	esi, 4
	jmp	.entry
.clamp:	mov	eax, -PAGE
.found:	and	eax, ~(PAGE - 1)
	mov	[fill_end], eax
	ret
.none:	FAIL	2, "the memory map has no usable RAM behind the image"

fill_ram:
	mov	edi, [fill_start]
.next:	mov	eax, edi
	xor	eax, PATTERN
	stosd
	cmp	edi, [fill_end]
	jb	.next
	ret

; One write at every 1 MiB step from the top of RAM up to 4 GiB.
wild_writes:
	mov	eax, [ram_top]
	mov	edx, [ram_top + 4]
	test	edx, edx
	jnz	.done			; RAM reaches 4 GiB: nothing above
	add	eax, MIB - 1
	jc	.done
	and	eax, ~(MIB - 1)
	jz	.done
	PUTS	"wild-write: writing from "
	PUTHEX	eax
	PUTS	` to 4 GiB\n`
.write:	mov	dword [eax], WILD_VALUE
	inc	dword [steps]
	add	eax, MIB
	jnc	.write			; carry: wrapped past 4 GiB
.done:	ret

verify_ram:
	mov	esi, [fill_start]
.next:	lodsd
	xor	eax, PATTERN
	lea	edx, [esi - 4]
	cmp	eax, edx
	jne	.bad
	cmp	esi, [fill_end]
	jb	.next
	ret
.bad:	PUTS	"wild-write: RAM changed at "
	PUTHEX	edx
	PUTC	`\n`
	FAIL	3, "a wild write changed the guest's own RAM"
