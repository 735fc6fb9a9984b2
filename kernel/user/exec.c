/* The ELF loader for user programs: checks a static x86-64 executable
 * (header, program header table and every PT_LOAD within the image and
 * within user space, no segment both writable and executable, the entry in
 * executable text) before mapping anything, then maps each PT_LOAD with
 * its own permissions and copies the file bytes (the rest is zero). */
#define pr_fmt(fmt) "exec: " fmt
#include <kelp/user.h>
#include <kelp/elf.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/string.h>
#include <kelp/printk.h>

/* Program headers: not in elf.h, which covers relocatable objects. */
typedef struct {
	Elf64_Word p_type;
	Elf64_Word p_flags;
	Elf64_Off p_offset;
	Elf64_Addr p_vaddr;
	Elf64_Addr p_paddr;
	Elf64_Xword p_filesz;
	Elf64_Xword p_memsz;
	Elf64_Xword p_align;
} Elf64_Phdr;

#define ET_EXEC_TYPE 2
#define PT_LOAD_TYPE 1
#define PF_X_FLAG 1
#define PF_W_FLAG 2
#define EXEC_MAX_PHDRS 16
/* Segments stay below the stack and its guard page. */
#define EXEC_LIMIT (USER_STACK_TOP - (USER_STACK_PAGES + 1) * PAGE_SIZE)

static int exec_check(const void *image, size_t size, const Elf64_Phdr **phdrs)
{
	const Elf64_Ehdr *eh = image;
	const u8 *id = eh->e_ident;

	if (size < sizeof(*eh) || id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F' ||
	    id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB ||
	    id[EI_VERSION] != EV_CURRENT || eh->e_type != ET_EXEC_TYPE ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phnum == 0 || eh->e_phnum > EXEC_MAX_PHDRS || (eh->e_phoff & 7) ||
	    eh->e_phoff > size || (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return -ENOEXEC;
	const Elf64_Phdr *ph = (const void *)((const u8 *)image + eh->e_phoff);
	bool entry_ok = false;
	int loads = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD_TYPE)
			continue;
		loads++;
		if (p->p_filesz > p->p_memsz || p->p_offset > size || p->p_filesz > size - p->p_offset ||
		    !p->p_memsz || p->p_vaddr < USER_MIN || p->p_vaddr >= EXEC_LIMIT ||
		    p->p_memsz > EXEC_LIMIT - p->p_vaddr)
			return -ENOEXEC;
		if ((p->p_flags & (PF_X_FLAG | PF_W_FLAG)) == (PF_X_FLAG | PF_W_FLAG))
			return -ENOEXEC;
		if ((p->p_flags & PF_X_FLAG) && eh->e_entry >= p->p_vaddr &&
		    eh->e_entry < p->p_vaddr + p->p_memsz)
			entry_ok = true;
	}
	if (!loads || !entry_ok)
		return -ENOEXEC;
	*phdrs = ph;
	return 0;
}

int exec_load(struct mm_struct *mm, const void *image, size_t size, unsigned long *entry)
{
	const Elf64_Ehdr *eh = image;
	const Elf64_Phdr *ph;
	int r = exec_check(image, size, &ph);
	if (r)
		return r;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD_TYPE)
			continue;
		unsigned long start = ALIGN_DOWN(p->p_vaddr, PAGE_SIZE);
		unsigned long end = ALIGN_UP(p->p_vaddr + p->p_memsz, PAGE_SIZE);
		int flags = VM_READ | ((p->p_flags & PF_W_FLAG) ? VM_WRITE : 0) |
			    ((p->p_flags & PF_X_FLAG) ? VM_EXEC : 0);
		r = mm_map_zero(mm, start, (end - start) / PAGE_SIZE, flags);
		/* Two segments sharing a page could not both keep their
		 * permissions: such an image is refused. */
		if (r == -EEXIST || r == -EINVAL)
			return -ENOEXEC;
		if (r)
			return r;
		r = mm_write(mm, p->p_vaddr, (const u8 *)image + p->p_offset, p->p_filesz);
		if (r)
			return r;
	}
	*entry = eh->e_entry;
	return 0;
}
