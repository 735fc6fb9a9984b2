; Multiboot2 header and the 32-bit entry: checks the CPU, builds the boot page
; tables (identity map and -2 GiB map of the first GiB), enters long mode and
; jumps to the higher-half kernel at kmain(magic, mbi_phys).

KERNEL_VMA equ 0xffffffff80000000

section .multiboot2
align 8
mb2_header:
    dd 0xe85250d6                       ; magic
    dd 0                                ; architecture: i386 protected mode
    dd mb2_header_end - mb2_header
    dd -(0xe85250d6 + 0 + (mb2_header_end - mb2_header))
    ; end tag
    dw 0
    dw 0
    dd 8
mb2_header_end:

section .boot.bss nobits
align 4096
boot_pml4:      resb 4096
boot_pdpt_lo:   resb 4096
boot_pdpt_hi:   resb 4096
boot_pd:        resb 4096
boot_stack:     resb 4096
boot_stack_top:

section .boot.data
align 8
boot_gdt:
    dq 0
    dq 0x00209a0000000000               ; 0x08: 64-bit code
    dq 0x0000920000000000               ; 0x10: data
boot_gdt_ptr:
    dw boot_gdt_ptr - boot_gdt - 1
    dd boot_gdt

no_lm_msg: db "Kelp: this CPU has no long mode", 0
no_mb_msg: db "Kelp: not started by a multiboot2 loader", 0

section .boot.text
bits 32
global _start
_start:
    cli
    cld
    mov esp, boot_stack_top
    mov edi, eax                        ; multiboot2 magic
    mov esi, ebx                        ; boot information (physical)

    cmp eax, 0x36d76289
    mov ebx, no_mb_msg
    jne boot_fail

    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    mov ebx, no_lm_msg
    jb boot_fail
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz boot_fail

    ; pml4[0] and pml4[511] share one page directory of 2 MiB pages that maps
    ; the first GiB; paging/ replaces these tables once C runs.
    mov eax, boot_pdpt_lo
    or eax, 3
    mov [boot_pml4], eax
    mov eax, boot_pdpt_hi
    or eax, 3
    mov [boot_pml4 + 511 * 8], eax
    mov eax, boot_pd
    or eax, 3
    mov [boot_pdpt_lo], eax
    mov [boot_pdpt_hi + 510 * 8], eax
    xor ecx, ecx
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                        ; present, writable, 2 MiB
    mov [boot_pd + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jne .fill_pd

    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, (1 << 5)                    ; PAE
    mov cr4, eax
    mov ecx, 0xc0000080                 ; EFER
    rdmsr
    or eax, (1 << 8) | (1 << 11) | 1    ; LME, NXE, SCE
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode

; Print a NUL-terminated string (ebx) on COM1 and stop.
boot_fail:
    mov dx, 0x3f8
.next:
    mov al, [ebx]
    test al, al
    jz .halt
    out dx, al
    inc ebx
    jmp .next
.halt:
    hlt
    jmp .halt

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half
    jmp rax

section .text.entry
extern kmain
global boot_stack_high_top
higher_half:
    mov rsp, boot_stack_high_top
    xor ebp, ebp                        ; the backtrace ends here
    ; edi = magic, esi = multiboot2 info (physical), as set above
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
boot_stack_high:
    resb 16384
boot_stack_high_top:
