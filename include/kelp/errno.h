/* Linux's errno values, so livepatch and loader errors read the same as Linux's. */
#pragma once
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define EFBIG 27
#define ENOSPC 28
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ENODATA 61
#define ETIME 62
#define EPROTO 71
#define EBADMSG 74
#define EOVERFLOW 75
#define EADDRINUSE 98
#define ETIMEDOUT 110
#define ESTALE 116
#define ECANCELED 125
#define ENOKEY 126
#define EKEYREJECTED 129

const char *errno_name(int err);
/* The message Linux prints for err (sign ignored), e.g. "Invalid argument". */
const char *strerror(int err);
