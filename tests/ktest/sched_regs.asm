; regs_yield(buf) for the sched suite (sched_test.c): load rbx and r12-r15
; from buf[0..4], yield to another thread (which loads its own values), then
; store what the registers hold into buf[5..9]. The context switch must keep
; the callee-saved registers; C cannot pin values in them, so this is asm.
; It keeps a frame record, so the unwinder walks through it like C code.

bits 64
section .text

extern yield

global regs_yield
regs_yield:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                    ; rsp is 16-byte aligned again for the call
    mov rbx, [rdi]
    mov r12, [rdi + 8]
    mov r13, [rdi + 16]
    mov r14, [rdi + 24]
    mov r15, [rdi + 32]
    call yield
    pop rdi
    mov [rdi + 40], rbx
    mov [rdi + 48], r12
    mov [rdi + 56], r13
    mov [rdi + 64], r14
    mov [rdi + 72], r15
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
global regs_yield_end
regs_yield_end:
