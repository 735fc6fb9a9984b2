; The context switch and the first code a new kernel thread runs.
;
; arch_switch_to pushes rbp first, right below its return address, so a
; switched-out task's saved rsp + 40 is an ordinary frame record [rbp, rip]
; that the unwinder starts from.

section .text

; struct task *arch_switch_to(struct task *prev, struct task *next)
; Saves the callee-saved registers on prev's stack and prev's rsp in
; prev->ksp (offset 0), then resumes next. Returns prev, in next's context.
global arch_switch_to
arch_switch_to:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, [rsi]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    mov rax, rdi
    ret

; A new thread's first return from arch_switch_to lands here with rax = the
; task switched from. rbp is 0, so the record kthread_start_c pushes is the
; last one of the chain: the unwinder's "first frame" of every kthread.
extern kthread_start_c
global kthread_trampoline
kthread_trampoline:
    xor ebp, ebp
    mov rdi, rax
    call kthread_start_c
    ud2                                 ; kthread_start_c never returns
global kthread_trampoline_end
kthread_trampoline_end:
