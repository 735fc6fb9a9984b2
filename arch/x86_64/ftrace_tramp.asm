; ftrace trampolines: what an enabled fentry site calls. Each one saves the
; registers into a struct ftrace_regs (laid out as struct trap_frame), takes
; the per-CPU recursion guard, calls ops->func(ip, parent_ip, ops, regs) for
; the ops in its slot of ftrace_tramp_ops[], and returns to regs->rip, which
; the handler may have changed (livepatch's redirect).
;
; Slots 0..N-1 are argument-only trampolines (one per ops without SAVE_REGS),
; N..2N-1 save every register, slot 2N is the list trampoline (its ops is
; the list function's). kernel/trace/ftrace.c assigns the slots. Nothing here has
; an fentry site. The code goes in .text..trampolines, which linker.ld brackets
; with ftrace_tramp_text_start and ftrace_tramp_text_end: the unwinder treats
; every address there as unreliable, and an interrupt never preempts it.

%include "arch/x86_64/ftrace_offsets.inc"

section .text..trampolines progbits alloc exec nowrite align=16

FR_R15    equ 0
FR_R14    equ 8
FR_R13    equ 16
FR_R12    equ 24
FR_R11    equ 32
FR_R10    equ 40
FR_R9     equ 48
FR_R8     equ 56
FR_RBP    equ 64
FR_RDI    equ 72
FR_RSI    equ 80
FR_RDX    equ 88
FR_RCX    equ 96
FR_RBX    equ 104
FR_RAX    equ 112
FR_RIP    equ 136
FR_CS     equ 144
FR_RFLAGS equ 152
FR_RSP    equ 160
FR_SS     equ 168
FR_SIZE   equ 176

; Entry: [rsp] = traced function + 5 (R1), [rsp + 8] = its caller (R2).
; Two frame records (caller, traced function) keep the rbp chain whole:
;   frame A = [caller's rbp, R2], frame B = [A, R1], rbp = B.
; After them and the regs area: regs at rsp, B at rsp + FR_SIZE, A at
; rsp + FR_SIZE + 16, R1 at rsp + FR_SIZE + 32, R2 at rsp + FR_SIZE + 40.
FR_A    equ FR_SIZE + 16
FR_R1   equ FR_SIZE + 32
FR_R2   equ FR_SIZE + 40

; rax = this context's guard bit (1: task context, 2: interrupt)
%macro GUARD_BIT 0
    mov eax, 1
    cmp dword [gs:PERCPU_IN_IRQ], 0
    je %%task
    mov eax, 2
%%task:
%endmacro

; FTRACE_TRAMP slot, save_all
%macro FTRACE_TRAMP 2
align 16
ftrace_tramp_%1:
    push qword [rsp + 8]
    push rbp
    mov rbp, rsp
    push qword [rsp + 16]
    push rbp
    mov rbp, rsp
    sub rsp, FR_SIZE
    mov [rsp + FR_RDI], rdi
    mov [rsp + FR_RSI], rsi
    mov [rsp + FR_RDX], rdx
    mov [rsp + FR_RCX], rcx
    mov [rsp + FR_R8], r8
    mov [rsp + FR_R9], r9
    mov [rsp + FR_RAX], rax
    mov rax, [rsp + FR_A]
    mov [rsp + FR_RBP], rax
    mov rax, [rsp + FR_R1]
    mov [rsp + FR_RIP], rax
    lea rax, [rsp + FR_R2]
    mov [rsp + FR_RSP], rax
%if %2
    mov [rsp + FR_RBX], rbx
    mov [rsp + FR_R10], r10
    mov [rsp + FR_R11], r11
    mov [rsp + FR_R12], r12
    mov [rsp + FR_R13], r13
    mov [rsp + FR_R14], r14
    mov [rsp + FR_R15], r15
    pushfq
    pop qword [rsp + FR_RFLAGS]
    mov qword [rsp + FR_CS], KERNEL_CS
    mov qword [rsp + FR_SS], KERNEL_DS
%else
    mov qword [rsp + FR_CS], 0
%endif
    ; No preemption while the guard bit is held: the bit is per CPU, and a
    ; task switched out here would make every other task's calls skip their
    ; handlers (a livepatched call would run the old code).
    inc dword [gs:PERCPU_PREEMPT_COUNT]
    GUARD_BIT
    test [gs:PERCPU_FTRACE_RECURSION], rax
    jnz %%busy
    or [gs:PERCPU_FTRACE_RECURSION], rax
    mov rdi, [rsp + FR_R1]
    sub rdi, 5
    mov rsi, [rsp + FR_R2]
    mov rdx, [rel ftrace_tramp_ops + 8 * %1]
    mov rcx, rsp
    call [rdx]
    GUARD_BIT
    not rax
    and [gs:PERCPU_FTRACE_RECURSION], rax
    dec dword [gs:PERCPU_PREEMPT_COUNT]
    ; "return" into regs->rip: the traced function, or its replacement
    mov rax, [rsp + FR_RIP]
    mov [rsp + FR_R1], rax
    jmp %%out
%%busy:
    dec dword [gs:PERCPU_PREEMPT_COUNT]
%%out:
%if %2
    mov rbx, [rsp + FR_RBX]
    mov r10, [rsp + FR_R10]
    mov r11, [rsp + FR_R11]
    mov r12, [rsp + FR_R12]
    mov r13, [rsp + FR_R13]
    mov r14, [rsp + FR_R14]
    mov r15, [rsp + FR_R15]
%endif
    mov rdi, [rsp + FR_RDI]
    mov rsi, [rsp + FR_RSI]
    mov rdx, [rsp + FR_RDX]
    mov rcx, [rsp + FR_RCX]
    mov r8, [rsp + FR_R8]
    mov r9, [rsp + FR_R9]
    mov rax, [rsp + FR_RAX]
    add rsp, FR_SIZE + 16
    pop rbp
    add rsp, 8
    ret
%endmacro

extern ftrace_tramp_ops

%assign i 0
%rep FTRACE_NR_TRAMPS
    FTRACE_TRAMP i, 0
%assign i i+1
%endrep
%rep FTRACE_NR_TRAMPS + 1
    FTRACE_TRAMP i, 1
%assign i i+1
%endrep

section .rodata
global ftrace_tramp_table
align 8
ftrace_tramp_table:
%assign i 0
%rep 2 * FTRACE_NR_TRAMPS + 1
    dq ftrace_tramp_ %+ i
%assign i i+1
%endrep
