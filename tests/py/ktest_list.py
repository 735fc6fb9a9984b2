"""Lists the kernel's self-test cases straight from build/kernel.elf.

KTEST() in tests/include/kelp/ktest.h places one `struct ktest_case` per case in the ELF
section `.ktest_cases`:

    struct ktest_case { char suite[32]; char name[64]; void (*fn)(struct ktest *); };

i.e. 104-byte records. Reading the section (plain `struct`, no pyelftools) lets
pytest generate one item per kernel case at collection time, before anything
has booted. Keep RECORD_FMT in step with tests/include/kelp/ktest.h.
"""
import struct
from collections import namedtuple

SECTION = ".ktest_cases"
SUITE_LEN, NAME_LEN = 32, 64
RECORD_FMT = "<%ds%dsQ" % (SUITE_LEN, NAME_LEN)
RECORD_SIZE = struct.calcsize(RECORD_FMT)
assert RECORD_SIZE == 104

SHT_NOBITS = 8

KtestCase = namedtuple("KtestCase", "suite name")
KtestCase.id = property(lambda c: "%s.%s" % (c.suite, c.name))


class ElfError(Exception):
    pass


def _cstr(raw):
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def read_sections(data):
    """Yields (name, type, offset, size) for each section of a 64-bit LE ELF."""
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ElfError("only ELF64 little-endian is supported")
    # e_shoff at 0x28, e_shentsize/e_shnum/e_shstrndx at 0x3a.
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0:
        return
    if shentsize < 64 or shoff + shnum * shentsize > len(data):
        raise ElfError("section header table out of bounds")

    def header(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)

    strtab = header(shstrndx)
    str_off = strtab[4]
    for i in range(shnum):
        name_off, stype, _flags, _addr, off, size = header(i)
        end = data.index(b"\0", str_off + name_off)
        name = data[str_off + name_off:end].decode("ascii", "replace")
        yield name, stype, off, size


def parse_cases(data):
    """Returns the KtestCase list of an ELF image (bytes), in section order.
    An image without the section (no test compiled in) has no cases."""
    for name, stype, off, size in read_sections(data):
        if name != SECTION:
            continue
        if stype == SHT_NOBITS:
            return []
        if size % RECORD_SIZE:
            raise ElfError("%s size %d is not a multiple of %d: struct ktest_case changed?"
                           % (SECTION, size, RECORD_SIZE))
        cases = []
        for pos in range(off, off + size, RECORD_SIZE):
            suite, case, _fn = struct.unpack_from(RECORD_FMT, data, pos)
            cases.append(KtestCase(_cstr(suite), _cstr(case)))
        return cases
    return []


def list_cases(path):
    with open(path, "rb") as f:
        return parse_cases(f.read())


if __name__ == "__main__":
    import sys
    for c in list_cases(sys.argv[1] if len(sys.argv) > 1 else "build/kernel.elf"):
        print(c.id)
