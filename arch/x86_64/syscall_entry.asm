; The syscall instruction's entry and the way back to user mode, and the
; first code a new user task runs.
;
; syscall_entry builds the same struct trap_frame as trap_common (vector
; TRAP_SYSCALL, the syscall number in the error slot) at the top of the
; task's kernel stack, plus the frame record [0, user rip] below it, and
; calls syscall_dispatch(frame). Its return address syscall_common_ret marks
; the frame for the unwinder, as trap_common_ret does for interrupts. The
; return takes sysret when the frame still describes a plain 64-bit user
; context with a safe rip (sysret to a non-canonical rip would fault in ring
; 0 on Intel CPUs), else the interrupt path's iretq.

; arch/x86_64/include/asm/gdt.h
GDT_USER_DS  equ 0x20
GDT_USER_CS  equ 0x28

%include "arch/x86_64/trap_frame.inc"

section .text

TRAP_SYSCALL equ 256
; struct percpu offsets, checked by BUILD_BUG_ON in arch/x86_64/syscall.c
PCPU_KSTACK  equ 32
PCPU_URSP    equ 40
USER_RIP_MAX equ 0x00007ffffffff000
RFLAGS_RF_VM equ 0x30000

extern syscall_dispatch
extern user_task_start_c
extern trap_return

global syscall_entry
global syscall_common_ret
align 16
syscall_entry:
    swapgs
    mov [gs:PCPU_URSP], rsp
    mov rsp, [gs:PCPU_KSTACK]
    push qword GDT_USER_DS | 3          ; ss
    push qword [gs:PCPU_URSP]           ; rsp
    push r11                            ; rflags
    push qword GDT_USER_CS | 3          ; cs
    push rcx                            ; rip
    push rax                            ; error slot: the syscall number
    push qword TRAP_SYSCALL             ; vector
    PUSH_TRAP_REGS
    cld
    mov rdi, rsp
    push qword [rdi + TF_RIP]           ; frame record: the chain ends here
    push qword 0
    mov rbp, rsp
    call syscall_dispatch
syscall_common_ret:
    add rsp, 16
    mov rcx, [rsp + TF_RIP]
    mov r11, USER_RIP_MAX
    cmp rcx, r11
    jae .iret
    cmp qword [rsp + TF_CS], GDT_USER_CS | 3
    jne .iret
    cmp qword [rsp + TF_SS], GDT_USER_DS | 3
    jne .iret
    test qword [rsp + TF_RFLAGS], RFLAGS_RF_VM
    jnz .iret
    pop r15
    pop r14
    pop r13
    pop r12
    add rsp, 8                          ; r11: becomes rflags
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    add rsp, 8                          ; rcx: becomes rip
    pop rbx
    pop rax
    mov rcx, [rsp + 16]                 ; rip
    mov r11, [rsp + 32]                 ; rflags
    mov rsp, [rsp + 40]                 ; user rsp (interrupts are off)
    swapgs
    o64 sysret
.iret:
    jmp trap_return

; A new user task's first return from arch_switch_to lands here (rax = the
; task switched from); user_task_start_c finishes the switch and runs the
; exit-to-user work, then the prepared trap frame at the top of the kernel
; stack is "returned" to through the interrupt exit.
global user_task_trampoline
user_task_trampoline:
    xor ebp, ebp
    mov rdi, rax
    call user_task_start_c
    mov rsp, [gs:PCPU_KSTACK]
    sub rsp, TF_SIZE
    jmp trap_return
global user_task_trampoline_end
user_task_trampoline_end:
