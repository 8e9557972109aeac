; vmxon: a guest must not reach VMX. Keel hides it (no nested
; virtualization), so:
;  - CR4.VMXE reads as 0 and setting it raises #GP (CR4 bit 13 is reserved
;    when CPUID.1:ECX.VMX is 0; Keel keeps the real bit behind its shadow);
;  - VMXON, VMPTRLD and VMREAD raise #UD (SDM vol. 3C, 31.3: they are
;    invalid outside VMX operation).
; It reports each result and passes only if every one is as above. The
; CR4.VMXE write is tried only under Keel (CPUID 0x40000000 signature
; "KeelKeelKeel"): QEMU 7.2 TCG without VMX re-executes that MOV to CR4
; forever instead of raising #GP.

%define GUEST_NAME "vmxon"
%include "lib.inc"

VMCS_GUEST_RIP	equ 0x681e	; any field will do for VMREAD
CPUID_HV_LEAF	equ 0x40000000
SIG_KEEL	equ 'Keel'

section .bss
alignb 4096
vmx_region:	resb 4096	; a would-be VMXON region and VMCS
region_pa:	resq 1

section .text
main:
	mov	dword [region_pa], vmx_region
	mov	eax, cr4
	test	eax, CR4_VMXE
	jz	.set
	FAIL	1, "CR4.VMXE reads as 1"
.set:	call	set_vmxe

	PUTS	"vmxon: vmxon"
	TRY	.after_vmxon
	vmxon	[region_pa]
.after_vmxon:
	END_TRY
	call	report
	EXPECT	dword [trap_vector], VEC_UD, 3, "VMXON did not raise #UD"

	PUTS	"vmxon: vmptrld"
	TRY	.after_vmptrld
	vmptrld	[region_pa]
.after_vmptrld:
	END_TRY
	call	report
	EXPECT	dword [trap_vector], VEC_UD, 4, "VMPTRLD did not raise #UD"

	PUTS	"vmxon: vmread"
	mov	edx, VMCS_GUEST_RIP
	TRY	.after_vmread
	vmread	eax, edx
.after_vmread:
	END_TRY
	call	report
	EXPECT	dword [trap_vector], VEC_UD, 5, "VMREAD did not raise #UD"
	ret

; Under Keel: setting CR4.VMXE must raise #GP.
set_vmxe:
	mov	eax, CPUID_HV_LEAF
	cpuid
	cmp	ebx, SIG_KEEL
	jne	.skip
	cmp	ecx, SIG_KEEL
	jne	.skip
	cmp	edx, SIG_KEEL
	jne	.skip
	mov	eax, cr4
	or	eax, CR4_VMXE
	TRY	.after
	mov	cr4, eax
.after:	END_TRY
	PUTS	"vmxon: setting CR4.VMXE"
	call	report
	EXPECT	dword [trap_vector], VEC_GP, 2, "setting CR4.VMXE did not raise #GP"
	ret
.skip:	PUTS	`vmxon: not under Keel, CR4.VMXE write not tried\n`
	ret

report:
	cmp	dword [trap_vector], NO_TRAP
	je	.none
	PUTS	": exception "
	PUTDEC	[trap_vector]
	PUTC	`\n`
	ret
.none:	PUTS	`: no exception\n`
	ret
