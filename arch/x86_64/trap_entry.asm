; Exception and interrupt entry: one stub per vector pushes (error, vector)
; and jumps to trap_common, which saves a struct trap_frame, links a frame
; record so backtraces continue into the interrupted code, and calls
; trap_dispatch(frame). The return address trap_common_ret marks such a frame
; for the unwinder. Also the fault-catching call used by expected-fault tests.

%include "arch/x86_64/trap_frame.inc"

section .text

%macro STUB_NOERR 1
align 16
trap_stub_%1:
    push qword 0
    push qword %1
    jmp trap_common
%endmacro

%macro STUB_ERR 1
align 16
trap_stub_%1:
    push qword %1
    jmp trap_common
%endmacro

; int3 from kernel mode: copy the five-word iret frame 40 bytes down before
; the usual entry. The old copy becomes a gap below the interrupted stack
; pointer, so the #BP handler of text poking can emulate a call (push the
; return address at the interrupted rsp - 8, lower the saved rsp) without
; writing over the frame iretq will pop. The gate is an interrupt gate:
; nothing can nest before the copy is made.
%macro STUB_BP 1
align 16
trap_stub_%1:
    test qword [rsp + 8], 3             ; CS of the interrupted context
    jnz %%frame_done
    push qword [rsp + 32]               ; SS
    push qword [rsp + 32]               ; RSP
    push qword [rsp + 32]               ; RFLAGS
    push qword [rsp + 32]               ; CS
    push qword [rsp + 32]               ; RIP
%%frame_done:
    push qword 0
    push qword %1
    jmp trap_common
%endmacro

%assign v 0
%rep 256
%if v == 3
    STUB_BP v
%elif v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30
    STUB_ERR v
%else
    STUB_NOERR v
%endif
%assign v v+1
%endrep

extern trap_dispatch
global trap_common
global trap_common_ret
global trap_return
align 16
trap_common:
    test qword [rsp + 24], 3            ; CS of the interrupted context
    jz .from_kernel
    swapgs
.from_kernel:
    PUSH_TRAP_REGS
    cld
    mov rdi, rsp
    ; frame record [rbp, rip] of the interrupted code; from user mode the
    ; chain ends here (rbp = 0)
    xor eax, eax
    test qword [rdi + TF_CS], 3
    cmovz rax, rbp
    push qword [rdi + TF_RIP]
    push rax
    mov rbp, rsp
    call trap_dispatch
trap_common_ret:
    add rsp, 16
trap_return:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                         ; vector, error
    test qword [rsp + 8], 3
    jz .to_kernel
    swapgs
.to_kernel:
    iretq

; int fault_catch_call(struct fault_catch *fc, void (*fn)(void *), void *arg)
; Saves the callee-saved registers and the way back in *fc, then calls fn.
; A fault inside fn resumes at fault_catch_landing with rdi = fc.
global fault_catch_call
global fault_catch_landing
fault_catch_call:
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rax, [rsp + 8]
    mov [rdi + 48], rax
    mov rax, [rsp]
    mov [rdi + 56], rax
    push rbp
    mov rbp, rsp
    mov rax, rsi
    mov rdi, rdx
    call rax
    pop rbp
    xor eax, eax
    ret

fault_catch_landing:
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    mov eax, 1
    jmp [rdi + 56]

section .rodata
global trap_stubs
align 8
trap_stubs:
%assign v 0
%rep 256
    dq trap_stub_ %+ v
%assign v v+1
%endrep
