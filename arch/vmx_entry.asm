; VM entry and exit (SDM Vol. 3C 26 and 28): load the guest's general-purpose
; registers and CR2 from a struct vmx_gprs (arch/vmx.h), VMLAUNCH or
; VMRESUME, and on the way back save them again.
;
; HOST_RSP is written on every entry so that, at the exit point, [rsp] holds
; the struct's address; HOST_RIP is vmx_exit_point (set once per VMCS).
; Callee-saved host registers live on the stack across the guest's run.

bits 64
default rel

%define VMCS_HOST_RSP	0x6c14
%define G(r)		(r * 8)		; gpr[] slot of register encoding r
%define G_CR2		128		; VMX_GPRS_CR2

section .text

; int vmx_enter(struct vmx_gprs *g, int launched)
global vmx_enter
vmx_enter:
	push	rbp
	push	rbx
	push	r12
	push	r13
	push	r14
	push	r15
	push	rdi			; [rsp] = g, found again at the exit point
	mov	rax, VMCS_HOST_RSP
	vmwrite	rax, rsp
	jbe	.failed
	mov	rax, [rdi + G_CR2]
	mov	cr2, rax
	test	esi, esi		; flags survive the moves below
	mov	rax, [rdi + G(0)]
	mov	rcx, [rdi + G(1)]
	mov	rdx, [rdi + G(2)]
	mov	rbx, [rdi + G(3)]
	mov	rbp, [rdi + G(5)]
	mov	rsi, [rdi + G(6)]
	mov	r8,  [rdi + G(8)]
	mov	r9,  [rdi + G(9)]
	mov	r10, [rdi + G(10)]
	mov	r11, [rdi + G(11)]
	mov	r12, [rdi + G(12)]
	mov	r13, [rdi + G(13)]
	mov	r14, [rdi + G(14)]
	mov	r15, [rdi + G(15)]
	mov	rdi, [rdi + G(7)]
	jnz	.resume
	vmlaunch
	jmp	.failed
.resume:
	vmresume
.failed:				; VMfailInvalid or VMfailValid
	pop	rdi
	mov	eax, 1
	jmp	restore_host

; A VM exit: RSP = HOST_RSP, all other registers are the guest's.
global vmx_exit_point
vmx_exit_point:
	push	rdi			; the guest's rdi
	mov	rdi, [rsp + 8]		; g
	mov	[rdi + G(0)], rax
	mov	[rdi + G(1)], rcx
	mov	[rdi + G(2)], rdx
	mov	[rdi + G(3)], rbx
	mov	[rdi + G(5)], rbp
	mov	[rdi + G(6)], rsi
	mov	[rdi + G(8)], r8
	mov	[rdi + G(9)], r9
	mov	[rdi + G(10)], r10
	mov	[rdi + G(11)], r11
	mov	[rdi + G(12)], r12
	mov	[rdi + G(13)], r13
	mov	[rdi + G(14)], r14
	mov	[rdi + G(15)], r15
	pop	rax
	mov	[rdi + G(7)], rax
	mov	rax, cr2
	mov	[rdi + G_CR2], rax
	pop	rdi
	xor	eax, eax
restore_host:
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbx
	pop	rbp
	ret

