/* Self-tests for the patch blob groundwork inside the kernel build (suite
 * "blob"): signature trailer with RFC 8032 data and the embedded build key,
 * ELF checks on a hand-made object, the frame codec and the build ID. The
 * host tests (tests/host/) cover the same code in depth. */
#include <kelp/ktest.h>
#include "../../kernel/module/signature.h"
#include "../../kernel/module/elf_check.h"
#include "../../kernel/module/reloc.h"
#include "../../drivers/patchchan/proto.h"
#include <kelp/crypto/crc32.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/cmdline.h>

/* RFC 8032 §7.1 TEST 3. */
static const u8 t3_pub[32] = {
	0xfc, 0x51, 0xcd, 0x8e, 0x62, 0x18, 0xa1, 0xa3, 0x8d, 0xa4, 0x7e, 0xd0, 0x02, 0x30, 0xf0, 0x58,
	0x08, 0x16, 0xed, 0x13, 0xba, 0x33, 0x03, 0xac, 0x5d, 0xeb, 0x91, 0x15, 0x48, 0x90, 0x80, 0x25,
};
static const u8 t3_sig[64] = {
	0x62, 0x91, 0xd6, 0x57, 0xde, 0xec, 0x24, 0x02, 0x48, 0x27, 0xe6, 0x9c, 0x3a, 0xbe, 0x01, 0xa3,
	0x0c, 0xe5, 0x48, 0xa2, 0x84, 0x74, 0x3a, 0x44, 0x5e, 0x36, 0x80, 0xd7, 0xdb, 0x5a, 0xc3, 0xac,
	0x18, 0xff, 0x9b, 0x53, 0x8d, 0x16, 0xf2, 0x90, 0xae, 0x67, 0xf7, 0x60, 0x98, 0x4d, 0xc6, 0x59,
	0x4a, 0x7c, 0x15, 0xe9, 0x71, 0x6e, 0xd2, 0x8d, 0xc0, 0x27, 0xbe, 0xce, 0xea, 0x1e, 0xc4, 0x0a,
};

/* payload (0xaf 0x82) || sig || trailer */
static u8 sblob[2 + 64 + 32];

static void make_signed(void)
{
	struct module_sig_trailer t;

	sblob[0] = 0xaf;
	sblob[1] = 0x82;
	memcpy(sblob + 2, t3_sig, 64);
	memset(&t, 0, sizeof(t));
	memcpy(t.magic, MODULE_SIG_MAGIC, MODULE_SIG_MAGIC_LEN);
	t.version = MODULE_SIG_VERSION;
	t.alg = MODULE_SIG_ALG_ED25519;
	module_sig_key_id(t3_pub, t.key_id);
	t.sig_len[3] = 64;
	memcpy(sblob + 66, &t, sizeof(t));
}

KTEST(blob, sig_accepts_rfc8032_blob)
{
	struct module_sig_key k = { .desc = "rfc8032 test 3" };
	size_t plen = 0;
	char why[128];

	memcpy(k.pub, t3_pub, 32);
	make_signed();
	KEXPECT_EQ(module_sig_check_keys(sblob, sizeof(sblob), &k, 1, &plen, why, sizeof(why)), 0);
	KEXPECT_EQ(plen, 2);
	sblob[1] ^= 1;
	KEXPECT_EQ(module_sig_check_keys(sblob, sizeof(sblob), &k, 1, &plen, why, sizeof(why)),
		   -EKEYREJECTED);
	KEXPECT_TRUE(strstr(why, "signature does not verify") != NULL);
	sblob[1] ^= 1;
	KEXPECT_EQ(module_sig_check_keys(sblob, sizeof(sblob) - 1, &k, 1, &plen, why, sizeof(why)),
		   -ENODATA);
}

KTEST(blob, sig_embedded_key)
{
	size_t plen;
	char why[128];
	u8 id[8];

	KEXPECT_GE(module_sig_nkeys, 1);
	/* The build key is a valid point: a zero signature decodes (S = 0) and fails to verify. */
	{
		static const u8 zero_sig[64];
		KEXPECT_EQ(ed25519_verify(zero_sig, module_sig_keys[0].pub, "x", 1), -EKEYREJECTED);
	}
	make_signed();
	KEXPECT_EQ(module_sig_check(sblob, sizeof(sblob), &plen, why, sizeof(why)), -ENOKEY);
	module_sig_key_id(t3_pub, id);
	KEXPECT_TRUE(strstr(why, "unknown key") != NULL);
	/* On unless this boot's command line said module.sig_enforce=0. */
	{
		char v[8];
		bool off = cmdline_get("module.sig_enforce", v, sizeof(v)) && !strcmp(v, "0");

		KEXPECT_EQ(module_sig_enforce, !off);
	}
}

/* A minimal ET_REL: null, .text, .symtab, .strtab, .shstrtab. */
static u8 elfimg[1024] __aligned(8);
static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
static const char symstr[] = "\0func";

static size_t make_elf(void)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elfimg;
	Elf64_Shdr *sh;
	Elf64_Sym *sym;
	size_t off = sizeof(*eh);

	memset(elfimg, 0, sizeof(elfimg));
	memcpy(eh->e_ident, "\177ELF", 4);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;
	/* .text: "ret" */
	elfimg[off] = 0xc3;
	off = 80;
	sym = (Elf64_Sym *)(elfimg + off);
	sym[1].st_name = 1;
	sym[1].st_info = STB_GLOBAL << 4 | STT_FUNC;
	sym[1].st_shndx = 1;
	sym[1].st_size = 1;
	memcpy(elfimg + 128, symstr, sizeof(symstr));
	memcpy(elfimg + 136, shstr, sizeof(shstr));
	eh->e_shoff = 176;
	sh = (Elf64_Shdr *)(elfimg + eh->e_shoff);
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_offset = 64, .sh_size = 1, .sh_addralign = 16 };
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_SYMTAB, .sh_offset = 80, .sh_size = 48,
			      .sh_link = 3, .sh_info = 1, .sh_addralign = 8, .sh_entsize = 24 };
	sh[3] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = 128,
			      .sh_size = sizeof(symstr), .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 23, .sh_type = SHT_STRTAB, .sh_offset = 136,
			      .sh_size = sizeof(shstr), .sh_addralign = 1 };
	return 176 + 5 * sizeof(Elf64_Shdr);
}

KTEST(blob, elf_check_handmade)
{
	struct elf_info info;
	char why[128];
	size_t len = make_elf();

	KEXPECT_EQ(elf_check(elfimg, len, &info, why, sizeof(why)), 0);
	KEXPECT_EQ(info.nsyms, 2);
	KEXPECT_EQ(strcmp(elf_sym_name(&info, &info.syms[1]), "func"), 0);
	KEXPECT_EQ(elf_find_section(&info, ".text"), 1);
	KEXPECT_EQ(elf_check(elfimg, len - 1, &info, why, sizeof(why)), -ENOEXEC);
	((Elf64_Ehdr *)elfimg)->e_machine = 3;
	KEXPECT_EQ(elf_check(elfimg, len, &info, why, sizeof(why)), -ENOEXEC);
	KEXPECT_EQ(strcmp(why, "not x86-64 (e_machine 3)"), 0);
	make_elf();
	((Elf64_Shdr *)(elfimg + 176))[1].sh_addralign = 24;
	KEXPECT_EQ(elf_check(elfimg, len, &info, why, sizeof(why)), -ENOEXEC);
	KEXPECT_EQ(strcmp(why, "section 1: bad alignment 24"), 0);
}

KTEST(blob, klp_sym_names)
{
	char obj[KLP_OBJNAME_LEN], name[KLP_SYMNAME_LEN];
	unsigned long pos;

	KEXPECT_EQ(klp_parse_sym_name(".klp.sym.vmlinux.saved_command_line,0", obj, sizeof(obj),
				      name, sizeof(name), &pos), 0);
	KEXPECT_EQ(strcmp(obj, "vmlinux"), 0);
	KEXPECT_EQ(strcmp(name, "saved_command_line"), 0);
	KEXPECT_EQ(klp_parse_sym_name(".klp.sym.vmlinux.x", obj, sizeof(obj), name, sizeof(name),
				      &pos), -EINVAL);
}

KTEST(blob, frame_round_trip)
{
	static u8 buf[64];
	static struct patchchan_frame_decoder dec;
	size_t n = patchchan_frame_encode(buf, sizeof(buf), PATCHCHAN_T_CMD, 0, 42, "list", 4);
	int ready = 0;

	KEXPECT_EQ(crc32(0, "123456789", 9), 0xcbf43926);
	KEXPECT_EQ(n, 18);
	patchchan_frame_decoder_init(&dec);
	for (size_t i = 0; i < n; i++)
		ready += patchchan_frame_decoder_feed(&dec, buf[i]) == PATCHCHAN_DEC_FRAME_READY;
	KEXPECT_EQ(ready, 1);
	KEXPECT_EQ(dec.frame.seq, 42);
	buf[12] ^= 0x20;
	ready = 0;
	for (size_t i = 0; i < n; i++)
		ready += patchchan_frame_decoder_feed(&dec, buf[i]) == PATCHCHAN_DEC_FRAME_READY;
	KEXPECT_EQ(ready, 0);
}

KTEST(blob, kernel_build_id)
{
	const u8 *id;
	size_t len;

	KEXPECT_EQ(kernel_build_id(&id, &len), 0);
	KEXPECT_EQ(len, 20);	/* --build-id=sha1 */
}
