; Native driver for prog64.asm: calls prog and prints its result in hex.
bits 64
extern prog
global _start
section .bss
buf: resb 4096
out: resb 17
section .text
_start:
    lea rdi, [rel buf]
    call prog
    mov ecx, 16
    lea rdi, [rel out+15]
    lea rsi, [rel hex]
.h: mov edx, eax
    and edx, 15
    mov dl, [rsi+rdx]
    mov [rdi], dl
    dec rdi
    shr rax, 4
    loop .h
    mov byte [rel out+16], 10
    mov eax, 1
    mov edi, 1
    lea rsi, [rel out]
    mov edx, 17
    syscall
    mov eax, 60
    xor edi, edi
    syscall
hex: db "0123456789abcdef"
