; msr: model-specific registers a guest may and may not touch.
;  - RDMSR and WRMSR of an MSR no CPU has raise #GP (caught by the IDT;
;    execution resumes after the instruction, registers as they were);
;  - RDMSR of IA32_VMX_BASIC raises #GP under Keel: VMX is hidden;
;  - IA32_TIME_STAMP_COUNTER reads without a fault and moves forwards.
; Outside Keel (CPUID 0x40000000 is not "KeelKeelKeel") these checks only
; report: QEMU 7.2 TCG reads unknown MSRs (and even IA32_TSC) as 0 and
; ignores writes to them. A fault of IA32_TSC fails everywhere.

%define GUEST_NAME "msr"
%include "lib.inc"

MSR_BOGUS	equ 0xc0011234	; in AMD's range, unused by either vendor
MSR_TSC		equ 0x10
MSR_VMX_BASIC	equ 0x480
CPUID_HV_LEAF	equ 0x40000000
SIG_KEEL	equ 'Keel'
EAX_SEED	equ 0x11111111
EDX_SEED	equ 0x22222222
TSC_SPIN	equ 100000	; loop iterations between the two TSC reads

section .bss
under_keel:	resd 1
after_eax:	resd 1		; EDX:EAX right after the access
after_edx:	resd 1

section .text
main:
	call	detect_keel
	mov	ecx, MSR_BOGUS
	call	try_rdmsr
	mov	al, 1
	call	expect_gp
	call	try_wrmsr
	mov	al, 3
	call	expect_gp
	mov	ecx, MSR_VMX_BASIC
	call	try_rdmsr
	mov	al, 5
	call	expect_gp
	call	check_tsc
	ret

; Sets under_keel from the hypervisor signature.
detect_keel:
	mov	eax, CPUID_HV_LEAF
	cpuid
	cmp	ebx, SIG_KEEL
	jne	.no
	cmp	ecx, SIG_KEEL
	jne	.no
	cmp	edx, SIG_KEEL
	jne	.no
	mov	dword [under_keel], 1
	PUTS	`msr: running under Keel: checks are enforced\n`
	ret
.no:	PUTS	`msr: not under Keel: checks only report\n`
	ret

; ecx = MSR. Prints what happened; leaves trap_vector set.
try_rdmsr:
	PUTS	"msr: rdmsr "
	PUTHEX	ecx
	mov	eax, EAX_SEED
	mov	edx, EDX_SEED
	TRY	.after
	rdmsr
.after:	END_TRY
	mov	[after_eax], eax
	mov	[after_edx], edx
	jmp	report

try_wrmsr:
	PUTS	"msr: wrmsr "
	PUTHEX	ecx
	mov	eax, EAX_SEED
	mov	edx, EDX_SEED
	TRY	.after
	wrmsr
.after:	END_TRY
	mov	[after_eax], eax
	mov	[after_edx], edx
	; fall through

; edx:eax = the registers after the access.
report:
	cmp	dword [trap_vector], NO_TRAP
	je	.none
	PUTS	": exception "
	PUTDEC	[trap_vector]
	PUTC	`\n`
	ret
.none:	PUTS	": no exception, edx:eax "
	PUTHEX	edx
	PUTHEX	eax
	PUTC	`\n`
	ret

; al = fail code (al + 1 is used too). Under Keel the last access must
; have raised #GP and left EAX/EDX alone (the CPU writes them only when
; RDMSR succeeds).
expect_gp:
	cmp	dword [under_keel], 0
	je	.done
	cmp	dword [trap_vector], VEC_GP
	jne	.not_gp
	cmp	dword [after_eax], EAX_SEED
	jne	.clobbered
	cmp	dword [after_edx], EDX_SEED
	jne	.clobbered
.done:	ret
.not_gp:
	FAIL	al, "MSR access did not raise #GP"
.clobbered:
	inc	al
	FAIL	al, "faulting MSR access changed EDX:EAX"

; IA32_TIME_STAMP_COUNTER must read and increase (enforced under Keel).
check_tsc:
	mov	ecx, MSR_TSC
	TRY	.fault
	rdmsr
	mov	esi, eax		; edi:esi = first reading
	mov	edi, edx
	mov	ecx, TSC_SPIN		; emulators may advance the TSC in steps
.spin:	loop	.spin
	mov	ecx, MSR_TSC
	rdmsr
	END_TRY
	PUTS	"msr: IA32_TSC "
	PUTHEX	edi
	PUTHEX	esi
	PUTS	" then "
	PUTHEX	edx
	PUTHEX	eax
	PUTC	`\n`
	cmp	dword [under_keel], 0
	je	.done
	sub	eax, esi
	sbb	edx, edi
	jb	.backwards
	or	eax, edx
	jz	.backwards
.done:	ret
.fault:	END_TRY
	FAIL	7, "rdmsr IA32_TSC faulted"
.backwards:
	FAIL	8, "IA32_TSC did not move forwards"
