; triple: a hostile guest that triple-faults on purpose. With an empty IDT
; an int3 cannot be delivered (#GP), neither can that #GP (#DF), nor the
; #DF: the CPU shuts down. Under Keel that crashes this domain only; under
; QEMU with -no-reboot the emulator exits with status 0.

%define GUEST_NAME "triple"
%include "lib.inc"

section .data
empty_idt:	dw 0		; limit 0: no gate is usable
		dd 0

section .text
main:
	PUTS	`triple: going\n`
	lidt	[empty_idt]
	int3
	FAIL	1, "still running after a triple fault"
