/* CRC-32/IEEE, a nibble at a time from a 16-entry constant table: small,
 * free of init-time state (the host tests run it from two threads), and
 * fast enough for a serial line. Pure code: the kernel, the host tests and
 * tools/klpctl build this same file. */
#include <kelp/crypto/crc32.h>

/* crc32_nibble[i] is i run through four steps of the bitwise algorithm. */
static const u32 crc32_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

u32 crc32(u32 crc, const void *data, size_t len)
{
	const u8 *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = crc32_nibble[crc & 0xf] ^ (crc >> 4);
		crc = crc32_nibble[crc & 0xf] ^ (crc >> 4);
	}
	return ~crc;
}
