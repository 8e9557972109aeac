; Application-processor start-up code. The BSP copies this blob to a page
; below 1 MiB (the loader reserved one) and fills the parameter block at
; its end; a SIPI then starts the AP in real mode at that page. The code is
; position-independent: it finds its own address from CS and goes
; real mode -> 32-bit protected mode -> long mode -> ap_entry(percpu).
; See SDM Vol. 3A 9.9 ("Mode switching") and 11.6 (INIT-SIPI-SIPI).

section .trampoline
bits 16

global tramp_start, tramp_end
global tramp_cr3, tramp_efer, tramp_stack, tramp_percpu, tramp_entry

%define OFF(x) ((x) - tramp_start)

tramp_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	movzx ebx, ax
	shl ebx, 4			; ebx = physical address of this page
	; Patch the GDT pointer and the far pointer with real addresses.
	lea eax, [ebx + OFF(gdt)]
	mov [OFF(gdtr) + 2], eax
	lea eax, [ebx + OFF(pm32)]
	mov [OFF(farptr)], eax
	lgdt [OFF(gdtr)]
	mov eax, cr0
	or eax, 1			; CR0.PE
	mov cr0, eax
	jmp far dword [OFF(farptr)]

bits 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esp, [ebx + 4096]		; the top of this page: a stack for retf
	mov eax, cr4
	or eax, (1 << 5) | (1 << 7)	; CR4.PAE, CR4.PGE
	mov cr4, eax
	mov eax, [ebx + OFF(tramp_cr3)]
	mov cr3, eax
	mov ecx, 0xc0000080		; IA32_EFER
	rdmsr
	or eax, [ebx + OFF(tramp_efer)]	; LME, and NXE where supported
	wrmsr
	; INIT leaves caching disabled (CR0.CD and NW set): turn it on, and
	; set PG, WP, NE and PE.
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29))
	or eax, (1 << 31) | (1 << 16) | (1 << 5) | 1
	mov cr0, eax
	; Compatibility mode now; a far return loads the 64-bit code segment.
	push dword 0x08
	lea eax, [ebx + OFF(lm64)]
	push eax
	retf

bits 64
lm64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rel tramp_stack]
	mov rdi, [rel tramp_percpu]
	mov rax, [rel tramp_entry]
	xor ebp, ebp
	call rax
.hang:
	cli
	hlt
	jmp .hang

align 16
gdt:
	dq 0				; null
	dq 0x00af9a000000ffff		; 0x08: 64-bit code
	dq 0x00cf92000000ffff		; 0x10: flat data
	dq 0x00cf9a000000ffff		; 0x18: 32-bit code
gdt_end:
gdtr:
	dw gdt_end - gdt - 1
	dd 0				; patched: base
farptr:
	dd 0				; patched: offset of pm32
	dw 0x18

align 8
; Parameter block, written by the BSP (arch/smp.c) before each SIPI.
tramp_cr3:	dd 0
tramp_efer:	dd 0
tramp_stack:	dq 0
tramp_percpu:	dq 0
tramp_entry:	dq 0
tramp_end:
