; Kernel entry from the UEFI loader (boot/main.c): long mode, interrupts
; off, the loader's page tables in CR3, RDI = physical address of the
; boot-info record. Switch to the boot CPU's stack and call kmain().

bits 64
section .text.entry
global _start
extern kmain

_start:
	cli
	cld
	lea rsp, [rel boot_stack_top]
	xor ebp, ebp		; terminates stack traces
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .bss
align 16
global boot_stack_bottom
boot_stack_bottom:
	resb 32768
boot_stack_top:
