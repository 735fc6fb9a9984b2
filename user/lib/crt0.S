/* The program entry: the kernel starts it with rdi = argc, rsi = argv and
 * a 16-byte aligned stack; main's return value is the exit status. */
	.section .text.start, "ax"
	.globl _start
_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call main
	movl %eax, %edi
	call exit
	ud2
