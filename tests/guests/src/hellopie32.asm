; hellopie32: an i386 static PIE (ET_DYN, no interpreter, no relocations):
; finds its own address with call/pop, then write(1, msg, len);
; exit_group(0).
	bits 32
	global _start
	section .text
_start:
	call .here
.here:	pop ecx
	add ecx, msg - .here	; ecx = &msg, wherever the image was loaded
	mov eax, 4		; write
	mov ebx, 1
	mov edx, len
	int 0x80
	mov eax, 252		; exit_group
	xor ebx, ebx
	int 0x80
	hlt
msg:	db "hello from an i386 static PIE", 10
len	equ $ - msg
