; spin: a hostile guest that never gives its CPU back: interrupts off and
; a tight loop with no exits in it. Keel must still be able to stop this
; domain and keep the others running.

%define GUEST_NAME "spin"
%include "lib.inc"

main:
	PUTS	`spin: spinning with interrupts off\n`
	cli
.spin:	jmp	.spin
