; counter: prints "counter <name> N" with N = 1, 2, 3, ... forever, a busy
; wait between lines, so that several domains can be seen making progress
; side by side. Command-line options (multiboot cmdline, space separated):
;   name=X    the name on each line (default "counter")
;   limit=K   pass after K lines instead of running forever
;   delay=D   busy-wait iterations between lines (default DEFAULT_DELAY)
; Loaded with the a.out kludge (multiboot header flag 16): the loader
; must take the load addresses from the header, not from the ELF headers.

%define GUEST_NAME "counter"
%define AOUT_KLUDGE
%include "lib.inc"

DEFAULT_DELAY	equ 1000000

section .rodata
key_name:	db "name=", 0
key_limit:	db "limit=", 0
key_delay:	db "delay=", 0
default_name:	db "counter", 0

section .bss
name:		resd 1		; address of the name (ends at space or NUL)
limit:		resd 1		; 0 = forever
delay:		resd 1

section .text
main:
	EXPECT	dword [mb_magic], MB_BOOT_MAGIC, 1, "EAX at entry is not 0x2BADB002"
	call	parse_cmdline
	mov	ebx, 1			; line number
.line:	PUTS	"counter "
	mov	esi, [name]
	call	put_word
	PUTC	' '
	PUTDEC	ebx
	PUTC	`\n`
	cmp	ebx, [limit]
	je	.done
	inc	ebx
	mov	ecx, [delay]
	jecxz	.line
.wait:	dec	ecx
	jnz	.wait
	jmp	.line
.done:	ret

parse_cmdline:
	mov	dword [name], default_name
	mov	dword [delay], DEFAULT_DELAY
	mov	ebx, [mb_info]
	test	dword [ebx + MBI_FLAGS], MBI_F_CMDLINE
	jz	.done
	mov	edx, [ebx + MBI_CMDLINE]
	mov	edi, key_name
	call	find_option
	jz	.limit
	mov	[name], esi
.limit:	mov	edi, key_limit
	call	find_option
	jz	.delay
	call	parse_dec
	mov	[limit], eax
.delay:	mov	edi, key_delay
	call	find_option
	jz	.done
	call	parse_dec
	mov	[delay], eax
.done:	ret

; edx = command line, edi = "key=". Returns ZF=0 and esi = the value if a
; word of the line starts with the key, else ZF=1.
find_option:
	push	ecx
	push	edi
	mov	esi, edx
.word:	mov	edi, [esp]		; compare this word with the key
.cmp:	mov	al, [edi]
	test	al, al
	jz	.found
	cmp	al, [esi]
	jne	.skip
	inc	esi
	inc	edi
	jmp	.cmp
.skip:	lodsb				; to the start of the next word
	test	al, al
	jz	.none
	cmp	al, ' '
	jne	.skip
	jmp	.word
.none:	xor	eax, eax		; ZF=1
	jmp	.out
.found:	or	al, 1			; ZF=0
.out:	pop	edi
	pop	ecx
	ret

; esi = decimal digits. Returns eax = their value (stops at a non-digit).
parse_dec:
	push	ebx
	push	esi
	xor	eax, eax
.digit:	movzx	ebx, byte [esi]
	sub	ebx, '0'
	cmp	ebx, 9
	ja	.done
	imul	eax, eax, 10
	add	eax, ebx
	inc	esi
	jmp	.digit
.done:	pop	esi
	pop	ebx
	ret

; esi = text: prints it up to a space or NUL.
put_word:
	push	esi
	push	eax
.next:	lodsb
	test	al, al
	jz	.done
	cmp	al, ' '
	je	.done
	PUTC	eax
	jmp	.next
.done:	pop	eax
	pop	esi
	ret
