/* test_klp_state3: test_klp_state at state version 2, under its own name
 * (Linux's selftests load two modules that differ only so). */
#define LP_STATE_NAME test_klp_state3
#define CONSOLE_LOGLEVEL_STATE_VERSION 2
#include "lp_test_klp_state.c"
