; native32: runs instruction sequences in 32-bit mode for the i386-only
; differential test (interp_i386_native_test.go). It reads records from
; stdin until EOF, each
;   u32 length, 28 bytes of code, u32 eax ecx edx ebx esp ebp esi edi,
;   u32 eflags, 64 bytes that go to the scratch page at SCRATCH,
; runs the code at CODE with those registers and flags, and writes
;   u32 eax ecx edx ebx esp ebp esi edi, u32 eflags, the 64 scratch bytes
; to stdout. The scratch page also holds the stack the code may use; the
; code page's fixed address lets far transfers name their targets.
bits 32

%define SCRATCH 0x20000000
%define CODE    0x21000000
%define INLEN   132
%define OUTLEN  100

section .bss
alignb 4
rec:       resb INLEN
out:       resb OUTLEN
saved_esp: resd 1

section .text
global _start
_start:
    ; mmap(SCRATCH, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)
    mov eax, 192            ; mmap2
    mov ebx, SCRATCH
    mov ecx, 4096
    mov edx, 3
    mov esi, 0x32
    mov edi, -1
    xor ebp, ebp
    int 0x80
    cmp eax, SCRATCH
    jne fail
    mov eax, 192            ; mmap2 the code page, read, write and execute
    mov ebx, CODE
    mov ecx, 4096
    mov edx, 7
    mov esi, 0x32
    mov edi, -1
    xor ebp, ebp
    int 0x80
    cmp eax, CODE
    jne fail

next:
    cld
    ; read a whole record (a pipe may hand it over in pieces)
    xor esi, esi
.rd:
    mov eax, 3              ; read
    xor ebx, ebx
    lea ecx, [rec+esi]
    mov edx, INLEN
    sub edx, esi
    int 0x80
    test eax, eax
    jz done                 ; EOF
    js fail
    add esi, eax
    cmp esi, INLEN
    jb .rd

    ; the code, then jmp epilogue
    mov ecx, [rec]
    cmp ecx, 28
    ja fail
    mov esi, rec+4
    mov edi, CODE
    rep movsb
    mov byte [edi], 0xe9
    mov eax, epilogue
    sub eax, edi
    sub eax, 5
    mov [edi+1], eax
    ; the scratch bytes
    mov esi, rec+68
    mov edi, SCRATCH
    mov ecx, 64
    rep movsb

    mov [saved_esp], esp
    push dword [rec+64]
    popfd
    mov eax, [rec+32]
    mov ecx, [rec+36]
    mov edx, [rec+40]
    mov ebx, [rec+44]
    mov esp, [rec+48]
    mov ebp, [rec+52]
    mov esi, [rec+56]
    mov edi, [rec+60]
    jmp CODE

epilogue:
    ; DS and ES may hold what the code loaded: store through SS.
    mov [ss:out+0], eax
    mov [ss:out+4], ecx
    mov [ss:out+8], edx
    mov [ss:out+12], ebx
    mov [ss:out+16], esp
    mov [ss:out+20], ebp
    mov [ss:out+24], esi
    mov [ss:out+28], edi
    mov esp, [ss:saved_esp]
    pushfd
    pop dword [ss:out+32]
    push ss
    pop ds
    push ss
    pop es
    cld
    mov esi, SCRATCH
    mov edi, out+36
    mov ecx, 64
    rep movsb

    mov eax, 4              ; write
    mov ebx, 1
    mov ecx, out
    mov edx, OUTLEN
    int 0x80
    cmp eax, OUTLEN
    jne fail
    jmp next

done:
    mov eax, 1
    xor ebx, ebx
    int 0x80
fail:
    mov eax, 1
    mov ebx, 2
    int 0x80
