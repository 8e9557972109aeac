; Interrupt entry stubs. Every vector gets a stub that makes the stack look
; the same (an error code, real or 0, then the vector number), saves the
; general registers into a struct trap_frame (arch/trap.h) and calls
; trap_dispatch(frame).

bits 64
section .text
extern trap_dispatch

; Vectors for which the CPU pushes an error code (SDM Vol. 3A 6.13).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro STUB 1
isr_%1:
%if !HAS_ERROR(%1)
	push 0
%endif
	push %1
	jmp trap_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v + 1
%endrep

trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld
	call trap_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16		; vector and error code
	iretq

section .rodata
global isr_table
align 8
isr_table:
%assign v 0
%rep 256
	dq isr_ %+ v
%assign v v + 1
%endrep
