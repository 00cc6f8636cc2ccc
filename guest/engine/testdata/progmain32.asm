; Native driver for prog32.asm: calls prog and prints its result in hex.
bits 32
extern prog
global _start
section .bss
buf: resb 4096
out: resb 9
section .text
_start:
    push buf
    call prog
    add esp, 4
    mov ecx, 8
    mov edi, out+7
.h: mov edx, eax
    and edx, 15
    mov dl, [hex+edx]
    mov [edi], dl
    dec edi
    shr eax, 4
    loop .h
    mov byte [out+8], 10
    mov eax, 4
    mov ebx, 1
    mov ecx, out
    mov edx, 9
    int 0x80
    mov eax, 1
    xor ebx, ebx
    int 0x80
hex: db "0123456789abcdef"
