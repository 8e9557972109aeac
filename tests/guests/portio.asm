; portio: port I/O the way a guest's drivers do it, checked from inside.
;  - 'rep outsb' to the UART (the check script looks for the line), also
;    with DF=1 from a reversed string, and with ECX=0 (must do nothing);
;  - in al / in ax / in eax from an unclaimed port read all ones and leave
;    the rest of EAX alone;
;  - 'rep insb/insw/insd' from the unclaimed port fill memory with 0xff,
;    forwards and (insb) backwards, touching nothing outside the buffer;
;  - 'rep outsw/outsd' to the unclaimed port are dropped;
;  - after every rep form ECX is 0 and ESI/EDI moved by exactly the count.

%define GUEST_NAME "portio"
%include "lib.inc"

UNCLAIMED	equ 0x2f0	; no device here under Keel or QEMU's pc machine
COUNT		equ 16		; elements per rep transfer
GUARD		equ 0x5a	; fills the bytes around the buffer
BUF_SIZE	equ COUNT * 4
EAX_SEED	equ 0x12345678

section .rodata
line:		db `portio: rep outsb to the UART\r\n`
line_len	equ $ - line
backwards:	db `\n\rsdrawkcab bstuo per :oitrop`	; printed last byte first
backwards_len	equ $ - backwards
words:		times COUNT dd 0x01020304	; data for outsw/outsd

section .bss
guard_lo:	resd 1
buf:		resb BUF_SIZE
guard_hi:	resd 1

section .text
main:
	call	outs_uart
	call	in_single
	call	ins_forward
	call	ins_backward
	call	ins_wide
	call	outs_wide
	ret

; After a rep string instruction: the pointer register %1 must have
; reached %2 and ECX must be 0. Uses fail codes %3 and %3 + 1.
%macro CHECK_REP 3
	EXPECT	%1, %2, %3, "wrong pointer after a rep string instruction"
	EXPECT	ecx, 0, %3 + 1, "ECX not 0 after a rep string instruction"
%endmacro

outs_uart:
	mov	dx, UART_THR
	mov	esi, line
	mov	ecx, line_len
	rep outsb
	CHECK_REP esi, line + line_len, 1
	mov	esi, backwards + backwards_len - 1
	mov	ecx, backwards_len
	std
	rep outsb
	cld
	CHECK_REP esi, backwards - 1, 3
	mov	esi, line		; ECX = 0: nothing happens
	rep outsb
	CHECK_REP esi, line, 5
	ret

in_single:
	mov	dx, UNCLAIMED
	mov	eax, EAX_SEED
	in	al, dx
	EXPECT	eax, (EAX_SEED & 0xffffff00) | 0xff, 7, "in al from an unclaimed port"
	mov	eax, EAX_SEED
	in	ax, dx
	EXPECT	eax, (EAX_SEED & 0xffff0000) | 0xffff, 8, "in ax from an unclaimed port"
	in	eax, dx
	EXPECT	eax, 0xffffffff, 9, "in eax from an unclaimed port"
	PUTS	`portio: in al/ax/eax from an unclaimed port read all ones\n`
	ret

; Fills buf with zeroes and its guards with GUARD.
clear_buf:
	mov	edi, guard_lo
	mov	al, GUARD
	mov	ecx, 4
	rep stosb
	xor	al, al
	mov	ecx, BUF_SIZE
	rep stosb
	mov	al, GUARD
	mov	ecx, 4
	rep stosb
	ret

; ecx = bytes of buf that must be 0xff; the rest of buf must be 0 and the
; guards intact.
check_buf:
	mov	edi, buf
	mov	al, 0xff
	repe scasb
	jne	.bad
	mov	ecx, buf + BUF_SIZE
	sub	ecx, edi
	xor	al, al
	repe scasb
	jne	.bad
	EXPECT	dword [guard_lo], GUARD * 0x01010101, 11, "rep ins wrote below the buffer"
	EXPECT	dword [guard_hi], GUARD * 0x01010101, 12, "rep ins wrote above the buffer"
	ret
.bad:	FAIL	10, "rep ins did not fill the buffer with 0xff"

ins_forward:
	call	clear_buf
	mov	dx, UNCLAIMED
	mov	edi, buf
	mov	ecx, COUNT
	rep insb
	CHECK_REP edi, buf + COUNT, 13
	mov	ecx, COUNT
	call	check_buf
	PUTS	`portio: rep insb forwards\n`
	ret

ins_backward:
	call	clear_buf
	mov	dx, UNCLAIMED
	mov	edi, buf + COUNT - 1
	mov	ecx, COUNT
	std
	rep insb
	cld
	CHECK_REP edi, buf - 1, 15
	mov	ecx, COUNT
	call	check_buf
	PUTS	`portio: rep insb backwards\n`
	ret

ins_wide:
	call	clear_buf
	mov	dx, UNCLAIMED
	mov	edi, buf
	mov	ecx, COUNT
	rep insw
	CHECK_REP edi, buf + COUNT * 2, 17
	mov	ecx, COUNT * 2
	call	check_buf
	call	clear_buf
	mov	edi, buf
	mov	ecx, COUNT
	rep insd
	CHECK_REP edi, buf + COUNT * 4, 19
	mov	ecx, COUNT * 4
	call	check_buf
	PUTS	`portio: rep insw and rep insd\n`
	ret

outs_wide:
	mov	dx, UNCLAIMED
	mov	esi, words
	mov	ecx, COUNT
	rep outsw
	CHECK_REP esi, words + COUNT * 2, 21
	mov	esi, words
	mov	ecx, COUNT
	rep outsd
	CHECK_REP esi, words + COUNT * 4, 23
	PUTS	`portio: rep outsw and rep outsd to an unclaimed port\n`
	ret
