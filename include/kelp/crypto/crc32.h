/* CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320), the checksum of
 * zlib, Ethernet and Python's zlib.crc32, for the serial patch channel. */
#pragma once
#include <kelp/types.h>

/* Continues a CRC: start with crc32(0, ...), feed the result back to extend. */
u32 crc32(u32 crc, const void *data, size_t len);
