; The application processors' way in: real-mode code that the boot CPU
; copies to SMP_TRAMPOLINE (a page below 1 MiB, the SIPI's start address).
; It enters protected mode, then long mode on the page table the boot CPU
; left in tr_cr3 (the kernel half plus an identity map of this page), and
; jumps to tr_entry in the higher half on tr_stack with edi = tr_cpu.
; Assembled here, run only from the copy: addresses go through TR().

SMP_TRAMPOLINE equ 0x8000
%define TR(x) (SMP_TRAMPOLINE + (x) - smp_trampoline_start)

section .rodata
align 16
global smp_trampoline_start, smp_trampoline_end
global smp_tr_cr3, smp_tr_stack, smp_tr_entry, smp_tr_cpu

bits 16
smp_trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [TR(tr_gdt_ptr)]
    mov eax, cr0
    or eax, 1                           ; PE
    mov cr0, eax
    jmp dword 0x08:TR(tr_protected)

bits 32
tr_protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, (1 << 5)                    ; PAE
    mov cr4, eax
    mov eax, [TR(smp_tr_cr3)]
    mov cr3, eax
    mov ecx, 0xc0000080                 ; EFER
    rdmsr
    or eax, (1 << 8) | (1 << 11) | 1    ; LME, NXE (the kernel tables use NX), SCE
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax
    jmp 0x18:TR(tr_long)

bits 64
tr_long:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [TR(smp_tr_stack)]
    mov edi, [TR(smp_tr_cpu)]
    mov rax, [TR(smp_tr_entry)]
    xor ebp, ebp                        ; the backtrace ends here
    push rbp                            ; a return-address slot: the ABI's alignment
    jmp rax

align 8
tr_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code
    dq 0x00cf92000000ffff               ; 0x10: data
    dq 0x00209a0000000000               ; 0x18: 64-bit code
tr_gdt_ptr:
    dw tr_gdt_ptr - tr_gdt - 1
    dd TR(tr_gdt)
align 8
smp_tr_cr3:     dq 0
smp_tr_stack:   dq 0
smp_tr_entry:   dq 0
smp_tr_cpu:     dq 0
smp_trampoline_end:
