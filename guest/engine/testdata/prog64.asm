; A function exercising control flow, the stack, string instructions and
; flags in 64-bit mode. SysV: prog(buf) with a 4 KiB scratch buffer in RDI;
; returns a hash of everything it computed in RAX. Built natively
; (progmain64.asm) it prints the same hash, which the test compares.
bits 64
global prog
%macro MIX 1
    imul r12, r12, 31
    add r12, %1
%endmacro
prog:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    mov rdx, rdi            ; buf
    mov r13, rdi
    xor r12d, r12d          ; hash
    mov ecx, 10
    xor eax, eax
.l1: add rax, rcx
    loop .l1
    MIX rax
    xor ecx, ecx
    jrcxz .z
    MIX 1000
.z: mov ecx, 5
    xor eax, eax
.l2: inc eax
    cmp eax, 3
    loopne .l2
    MIX rax
    MIX rcx
    mov edi, 12
    call fib
    MIX rax
    enter 16, 0
    mov qword [rbp-8], 0x1234
    mov rax, [rbp-8]
    leave
    MIX rax
    enter 8, 3
    mov rax, rsp
    sub rax, rbp
    leave
    MIX rax
    ; string ops
    mov rdi, rdx
    mov ecx, 32
    mov rax, 0x0102030405060708
    cld
    rep stosq
    mov rsi, rdx
    lea rdi, [rdx+256]
    mov ecx, 256
    rep movsb
    mov byte [rdx+300], 9
    std
    lea rdi, [rdx+263]
    lea rsi, [rdx+7]
    mov ecx, 2
    rep movsd
    cld
    mov rax, [rdx+256]
    MIX rax
    lea rdi, [rdx+256]
    mov ecx, 100
    mov al, 9
    repne scasb
    MIX rcx
    mov rsi, rdx
    lea rdi, [rdx+256]
    mov ecx, 100
    repe cmpsb
    MIX rcx
    lea rsi, [rdx+8]
    lodsq
    MIX rax
    ; flags
    mov rax, -1
    add rax, 1
    pushfq
    pop rax
    and eax, 0x8d5
    MIX rax
    stc
    sbb rax, rax
    MIX rax
    mov rax, 0x8000000000000000
    neg rax
    seto al
    setc ah
    movzx eax, ax
    MIX rax
    ; wide arithmetic
    mov rax, 0x123456789abcdef
    mov rcx, 0xfedcba987654321
    mul rcx
    MIX rax
    MIX rdx
    mov rcx, 0x7fffffffffff1234
    div rcx
    MIX rax
    MIX rdx
    mov rax, -100000000000
    cqo
    mov rcx, 7
    idiv rcx
    MIX rax
    MIX rdx
    mov rax, 0x123456789abcdef0
    bswap rax
    MIX rax
    mov ecx, -5
    movsxd rax, ecx
    MIX rax
    mov rax, 0xf000
    bsf rcx, rax
    bsr rbx, rax
    MIX rcx
    MIX rbx
    mov eax, 0x80000000
    cdqe
    MIX rax
    mov rax, 0x8000000000000001
    mov rbx, 0x00000000ffffffff
    shld rax, rbx, 4
    MIX rax
    mov rax, [rel konst]
    MIX rax
    ; cmpxchg16b on an aligned slot
    lea rdi, [r13+512]
    mov qword [rdi], 1
    mov qword [rdi+8], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 3
    mov ecx, 4
    lock cmpxchg16b [rdi]
    setz al
    movzx eax, al
    add rax, [rdi]
    add rax, [rdi+8]
    MIX rax
    ; indirect call and jump
    mov ebx, 2
    lea rax, [rel table]
    call [rax+rbx*8]
    MIX rax
    lea rax, [rel .after]
    jmp rax
    MIX 99
.after:
    mov rax, r12
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
fib:
    mov rax, rdi
    cmp rdi, 2
    jb .done
    push rbx
    push rdi
    dec rdi
    call fib
    mov rbx, rax
    pop rdi
    sub rdi, 2
    call fib
    add rax, rbx
    pop rbx
.done:
    ret
t0: mov eax, 100
    ret
t1: mov eax, 200
    ret
t2: mov eax, 300
    ret
align 8
table: dq t0, t1, t2
konst: dq 0x1122334455667788
