; hello64: the smallest x86-64 guest: write(1, msg, len); exit_group(0).
	bits 64
	global _start
	section .text
_start:
	mov eax, 1		; write
	mov edi, 1
	lea rsi, [rel msg]
	mov edx, len
	syscall
	mov eax, 231		; exit_group
	xor edi, edi
	syscall
	hlt
	section .rodata
msg:	db "hello from an x86-64 guest", 10
len	equ $ - msg
