; cpuid: what the CPU says about itself inside a domain.
;  - The hypervisor signature (CPUID 0x40000000, only read when the
;    hypervisor bit CPUID.1:ECX[31] is set) is printed. Under Keel it is
;    "KeelKeelKeel", and then VMX (CPUID.1:ECX[5]) must be hidden: Keel does
;    not offer nested virtualization. Elsewhere (QEMU TCG says
;    "TCGTCGTCGTCG", hardware has no hypervisor bit) it only reports.
;  - The cost of a CPUID exit: TSC cycles per CPUID(0), averaged over 1000.

%define GUEST_NAME "cpuid"
%include "lib.inc"

CPUID_HV_LEAF	equ 0x40000000
ECX_VMX		equ 1 << 5
ECX_HYPERVISOR	equ 1 << 31
TIMED_CPUIDS	equ 1000
; "KeelKeelKeel" as EBX, ECX, EDX (little-endian "Keel")
SIG_KEEL	equ 'Keel'

section .bss
hv_sig:		resd 3		; EBX, ECX, EDX of leaf 0x40000000
		resd 1		; NUL terminator
under_keel:	resd 1

section .text
main:
	mov	eax, 1
	cpuid
	mov	ebp, ecx		; leaf 1 ECX
	PUTS	"cpuid: leaf 1 ecx "
	PUTHEX	ebp
	PUTC	`\n`
	test	ebp, ECX_HYPERVISOR
	jz	.bare
	call	read_signature
	jmp	.vmx
.bare:	PUTS	`cpuid: no hypervisor bit\n`
.vmx:	cmp	dword [under_keel], 0
	je	.timing
	test	ebp, ECX_VMX
	jz	.timing
	FAIL	1, "VMX is visible to the guest under Keel"
.timing:
	call	time_cpuid
	ret

; Reads and prints the hypervisor signature; sets under_keel.
read_signature:
	mov	eax, CPUID_HV_LEAF
	cpuid
	mov	[hv_sig], ebx
	mov	[hv_sig + 4], ecx
	mov	[hv_sig + 8], edx
	PUTS	"cpuid: hypervisor signature '"
	PUTS_AT	hv_sig
	PUTS	"' max leaf "
	PUTHEX	eax
	PUTC	`\n`
	cmp	dword [hv_sig], SIG_KEEL
	jne	.done
	cmp	dword [hv_sig + 4], SIG_KEEL
	jne	.done
	cmp	dword [hv_sig + 8], SIG_KEEL
	jne	.done
	mov	dword [under_keel], 1
	PUTS	`cpuid: running under Keel\n`
.done:	ret

; Prints the average TSC cycles of one CPUID(0).
time_cpuid:
	rdtsc
	mov	esi, eax		; edi:esi = start
	mov	edi, edx
	mov	ebp, TIMED_CPUIDS
.again:	xor	eax, eax
	cpuid
	dec	ebp
	jnz	.again
	rdtsc
	sub	eax, esi
	sbb	edx, edi
	mov	ecx, TIMED_CPUIDS
	cmp	edx, ecx		; quotient would not fit in 32 bits
	jb	.divide
	FAIL	2, "TSC went backwards or CPUID took ages"
.divide:
	div	ecx
	PUTS	"cpuid: "
	PUTDEC	eax
	PUTS	` cycles per exit\n`
	ret
