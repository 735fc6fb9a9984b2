; Livepatch trampolines: what the fentry site of a patched function calls
; while its klp_ops is the site's only ftrace_ops and the site is not a
; plain `jmp new_func` (that is, during a transition, or while the top entry
; is a nop). Trampoline i is ftrace's direct trampoline for the klp_ops whose
; func stack head is arch_klp_tramp_stack[i] (livepatch/patch.c assigns the
; slots), and makes the handler's choice itself, in the argument-free way
; an fentry call allows: no registers saved beyond the two scratch ones the
; calling convention gives it at function entry (r10, r11; rax carries the
; vector count of a variadic call and is saved where it is needed), no
; ftrace_regs, no list walk, no recursion guard (nothing here is traced).
;
; The choice is klp_ftrace_handler()'s, which still serves a site shared
; with other ops (the list trampoline): the newest func on the stack, or
; the one below it for a task still KLP_UNPATCHED while that func is in
; transition; none, or a nop, means the original function. A chosen
; replacement runs by returning into it: the return address the site
; pushed becomes new_func, so the replacement returns straight to the
; traced function's caller with the argument registers untouched.
;
; An RCU reader: the code is in .text..trampolines, which an interrupt
; never preempts (irqentry_exit asks ftrace_text_is_trampoline), so every
; func and stack it reads outlives it (they are freed after
; klp_synchronize_transition() or unregister_ftrace_function()'s grace
; period). The loads need no fences on x86: they are ordered as the
; handler's smp_rmb() pairs require (the func published at the head with
; its transition flag written first; patch_state written before the flag).
; Nothing here has an fentry site, and it calls nothing: a stack caught in
; it (an interrupt) is unreliable by the unwinder's rule for this range.

%include "arch/x86_64/klp_offsets.inc"

section .text..trampolines progbits alloc exec nowrite align=16

NODE_NEW_FUNC   equ KLP_FUNC_NEW_FUNC - KLP_FUNC_STACK_NODE
NODE_NOP        equ KLP_FUNC_NOP - KLP_FUNC_STACK_NODE
NODE_TRANSITION equ KLP_FUNC_TRANSITION - KLP_FUNC_STACK_NODE

; Entry: [rsp] = patched function + 5, [rsp + 8] = its caller.
%macro KLP_TRAMP 1
align 16
arch_klp_tramp_%1:
    mov r11, [rel arch_klp_tramp_stack + 8 * %1]   ; &ops->func_stack
    mov r10, [r11]                                 ; the newest func's stack_node
    cmp r10, r11
    je %%orig                                      ; emptied under a late call
    cmp byte [r10 + NODE_TRANSITION], 0
    jne %%transition
%%chosen:
    cmp byte [r10 + NODE_NOP], 0
    jne %%orig
    mov r10, [r10 + NODE_NEW_FUNC]
    mov [rsp], r10
%%orig:
    ret
%%transition:
    push rax
    mov rax, [gs:PERCPU_CURRENT_TASK]
    cmp dword [rax + TASK_PATCH_STATE], KLP_STATE_UNPATCHED
    pop rax
    jne %%chosen
    mov r10, [r10]                                 ; the func below
    cmp r10, r11
    je %%orig
    jmp %%chosen
%endmacro

%assign i 0
%rep ARCH_KLP_NR_TRAMPS
    KLP_TRAMP i
%assign i i+1
%endrep

section .rodata
global arch_klp_tramp_table
align 8
arch_klp_tramp_table:
%assign i 0
%rep ARCH_KLP_NR_TRAMPS
    dq arch_klp_tramp_ %+ i
%assign i i+1
%endrep

section .bss
global arch_klp_tramp_stack
align 8
arch_klp_tramp_stack:
    resq ARCH_KLP_NR_TRAMPS
