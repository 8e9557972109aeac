; modes: runs code in every x86 mode a guest may use and prints from each.
;  1. 32-bit protected mode, paging off (how multiboot starts us);
;  2. real mode: a stub copied below 1 MiB goes down through 16-bit
;     protected mode, talks to the UART with in/out from real mode, checks
;     CR0.PE is clear and that segment:offset addressing works, then comes
;     back (no BIOS calls: Keel has no BIOS);
;  3. 64-bit long mode: page tables, PAE, EFER.LME, paging; prints with
;     RIP-relative data and with 'rep outsb', checks RSI/RCX after it.

%define GUEST_NAME "modes"
%define WANT_LONG_MODE
%include "lib.inc"

RM_BASE		equ 0x7000	; where the real-mode stub runs (and its stack ends)
RM_SEG_TEST	equ 0x1000	; segment used for the addressing check...
RM_SEG_LINEAR	equ RM_SEG_TEST << 4	; ...and the linear address it means
RM_MAGIC	equ 0x5a17
RM_OK		equ 0x600d	; rm_result when the real-mode checks passed
%define RM_ADDR(l) (RM_BASE + (l) - rm_stub)	; a stub label once copied

section .bss
saved_esp:	resd 1

section .text
main:
	PUTS	`modes: 32-bit protected mode\n`
	mov	eax, cr0
	and	eax, CR0_PE | CR0_PG
	EXPECT	eax, CR0_PE, 1, "CR0 at entry is not PE=1 PG=0"
	call	real_mode_trip
	PUTS	`modes: back in 32-bit protected mode\n`
	EXPECT	word [RM_ADDR(rm_result)], RM_OK, 2, "real-mode checks failed"
	EXPECT	word [RM_SEG_LINEAR], RM_MAGIC, 3, "real-mode segment write went astray"
	mov	eax, long_main
	jmp	enter_long_mode

; Copies the stub below 1 MiB and runs it; it returns to rm_back.
real_mode_trip:
	mov	esi, rm_stub
	mov	edi, RM_BASE
	mov	ecx, rm_stub_end - rm_stub
	rep movsb
	mov	word [RM_SEG_LINEAR], 0
	mov	[saved_esp], esp
	jmp	SEL_CODE16:RM_ADDR(rm_pm16)
rm_back:
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, [saved_esp]
	ret

; The stub. Only relative jumps and calls, or RM_ADDR(), inside it.
; No exception may happen in it: the IDT is still the 32-bit one.
BITS 16
rm_stub:
rm_pm16:				; 16-bit protected mode: 64 KiB segments
	mov	ax, SEL_DATA16
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	eax, cr0
	and	eax, ~CR0_PE
	mov	cr0, eax
	jmp	0:RM_ADDR(rm_real)
rm_real:				; real mode
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, RM_BASE
	mov	si, RM_ADDR(rm_msg)
	call	rm_puts
	mov	eax, cr0
	test	al, CR0_PE
	jnz	.back
	mov	ax, RM_SEG_TEST		; segment:offset addressing
	mov	es, ax
	mov	word [es:0], RM_MAGIC
	mov	word [RM_ADDR(rm_result)], RM_OK
.back:	mov	eax, cr0
	or	al, CR0_PE
	mov	cr0, eax
	jmp	dword SEL_CODE32:rm_back

rm_puts:				; ds:si = NUL-terminated string
	lodsb
	test	al, al
	jz	.done
	mov	bl, al
	mov	dx, UART_LSR
.wait:	in	al, dx
	test	al, LSR_THRE
	jz	.wait
	mov	al, bl
	mov	dx, UART_THR
	out	dx, al
	jmp	rm_puts
.done:	ret

rm_msg:		db `modes: real mode, out to the UART\r\n`, 0
rm_result:	dw 0
rm_stub_end:

BITS 64
long_main:
	lea	rsi, [rel msg64]	; RIP-relative data
	call	uart_puts64
	mov	rax, cr0
	test	eax, CR0_PG
	jnz	.paging
	FAIL	4, "CR0.PG is clear in long mode"
.paging:
	lea	rsi, [rel msg_rep]	; 'rep outsb' from 64-bit code
	mov	rcx, msg_rep_len
	mov	dx, UART_THR
	rep outsb
	lea	rax, [rel msg_rep + msg_rep_len]
	EXPECT	rsi, rax, 5, "RSI after rep outsb is wrong"
	EXPECT	rcx, 0, 6, "RCX after rep outsb is not 0"
	PASS

section .rodata
msg64:		db `modes: 64-bit long mode, RIP-relative data\n`, 0
msg_rep:	db `modes: 64-bit rep outsb\r\n`
msg_rep_len	equ $ - msg_rep
