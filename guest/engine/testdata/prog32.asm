; A function exercising control flow, the stack, string instructions and
; flags in 32-bit mode. cdecl: prog(buf) with a 4 KiB scratch buffer;
; returns a hash of everything it computed in EAX. Built natively
; (progmain32.asm) it prints the same hash, which the test compares.
bits 32
global prog
%macro MIX 1
    imul esi, esi, 31
    add esi, %1
%endmacro
prog:
    push ebp
    mov ebp, esp
    push ebx
    push esi
    push edi
    mov edx, [ebp+8]        ; buf
    xor esi, esi            ; hash
    ; loop / jecxz / loope
    mov ecx, 10
    xor eax, eax
.l1: add eax, ecx
    loop .l1
    MIX eax
    xor ecx, ecx
    jecxz .z
    MIX 1000
.z: mov ecx, 5
    mov eax, 0
.l2: inc eax
    cmp eax, 3
    loopne .l2
    MIX eax
    MIX ecx
    ; enter/leave with nesting and a recursive call
    push 10
    call fib
    add esp, 4
    MIX eax
    enter 16, 0
    mov dword [ebp-4], 0x1234
    mov eax, [ebp-4]
    leave
    MIX eax
    enter 8, 2
    mov eax, esp
    sub eax, ebp
    leave
    MIX eax
    ; string ops, forward and backward
    push esi                ; the hash
    mov edi, edx
    mov ecx, 64
    mov eax, 0x01020304
    cld
    rep stosd
    mov esi, edx
    lea edi, [edx+256]
    mov ecx, 256
    rep movsb
    mov byte [edx+300], 9
    std
    lea edi, [edx+259]
    lea esi, [edx+3]
    mov ecx, 4
    rep movsb
    cld
    pop esi
    mov eax, [edx+256]
    MIX eax
    lea edi, [edx+256]
    mov ecx, 100
    mov al, 9
    repne scasb
    MIX ecx
    push esi
    lea esi, [edx]
    lea edi, [edx+256]
    mov ecx, 100
    repe cmpsb
    mov eax, ecx
    pop esi
    MIX eax
    push esi
    lea esi, [edx+8]
    lodsw
    pop esi
    movzx eax, ax
    MIX eax
    ; flags round trip
    mov eax, 0xffffffff
    add eax, 1
    pushfd
    pop eax
    and eax, 0x8d5
    MIX eax
    stc
    sbb eax, eax
    MIX eax
    mov eax, 0x80000000
    neg eax
    seto al
    setc ah
    movzx eax, ax
    MIX eax
    ; mul/div
    mov eax, 123456789
    mov ecx, 1000
    xor edx, edx
    div ecx
    MIX eax
    MIX edx
    mov eax, -1000
    cdq
    mov ecx, 7
    idiv ecx
    MIX eax
    MIX edx
    mov eax, 0x12345678
    bswap eax
    MIX eax
    mov eax, 0xf0
    bsf ecx, eax
    bsr ebx, eax
    MIX ecx
    MIX ebx
    mov eax, 0x8000
    cwde
    MIX eax
    ; indirect call and jump table
    mov ebx, 2
    call [table+ebx*4]
    MIX eax
    lea eax, [.after]
    jmp eax
    MIX 99
.after:
    mov eax, esi
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret
fib:
    mov eax, [esp+4]
    cmp eax, 2
    jb .done
    push ebx
    dec eax
    push eax
    call fib
    mov ebx, eax
    pop eax
    dec eax
    push eax
    call fib
    add esp, 4
    add eax, ebx
    pop ebx
.done:
    ret
t0: mov eax, 100
    ret
t1: mov eax, 200
    ret
t2: mov eax, 300
    ret
table: dd t0, t1, t2
