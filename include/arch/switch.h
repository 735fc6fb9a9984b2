/* Context switch: arch_switch_to saves the callee-saved registers of prev on
 * its stack, resumes next from its saved stack pointer (task->ksp, the first
 * field of struct task) and returns prev in next's context
 * (arch/x86_64/switch.asm). A new task must have a stack it can resume. */
#pragma once

struct task;

struct task *arch_switch_to(struct task *prev, struct task *next);

/* Make t's first switch land in kthread_start_c (kernel/sched/kthread.c)
 * through kthread_trampoline, with a frame record that ends t's stack
 * (arch/x86_64/process.c). Sets t->ksp and t->first_frame. */
void arch_kthread_init(struct task *t);
