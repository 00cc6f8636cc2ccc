; hello32: the smallest i386 guest: write(1, msg, len); exit_group(0).
	bits 32
	global _start
	section .text
_start:
	mov eax, 4		; write
	mov ebx, 1
	mov ecx, msg
	mov edx, len
	int 0x80
	mov eax, 252		; exit_group
	xor ebx, ebx
	int 0x80
	hlt
	section .rodata
msg:	db "hello from an i386 guest", 10
len	equ $ - msg
