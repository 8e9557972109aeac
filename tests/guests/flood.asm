; flood: a hostile guest that writes to the UART as fast as it can,
; forever, without waiting for THRE (one exit per byte). Keel's console
; must keep up or drop output without stalling other domains.

%define GUEST_NAME "flood"
%include "lib.inc"

section .rodata
line:		db `flood: 0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n`
line_len	equ $ - line

section .text
main:
	mov	dx, UART_THR
.again:	mov	esi, line
	mov	ecx, line_len
	rep outsb
	jmp	.again
