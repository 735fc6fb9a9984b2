/* Blob port of Linux's test_klp_state2: state version 2 (see test_klp_state.c). */
#define CONSOLE_LOGLEVEL_STATE_VERSION 2
#include "test_klp_state.c"
