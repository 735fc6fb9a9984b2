/* Authentication of the channel's state-changing requests
 * (drivers/patchchan/auth.c, docs/SECURITY.md). Kernel only. */
#pragma once
#include <kelp/types.h>

/* Whether a CMD (without an "auth" prefix) changes the kernel's state. */
bool patchchan_cmd_changes_state(const char *cmd);
/* CMD "nonce": a fresh challenge, in hex, into out; the previous one is void. */
int patchchan_nonce_issue(char *out, size_t outlen);
/* Strips and checks an "auth NONCE SIG " prefix (*cmd then points at the
 * command); refuses a state-changing command without one while
 * module.sig_enforce is on. 0, or -EPERM "unauthenticated request",
 * -ESTALE "stale nonce", -EKEYREJECTED, -EINVAL with out saying why. */
int patchchan_auth_cmd(const char **cmd, char *out, size_t outlen);
/* The same for a load: auth is END's nonce || signature, or NULL. */
int patchchan_auth_load(const u8 *auth, const char *name, const char *params, const u8 *blob,
			u32 len, char *out, size_t outlen);
/* CMD "status": the channel's authentication mode and counters. */
int patchchan_auth_status(char *out, size_t outlen);
