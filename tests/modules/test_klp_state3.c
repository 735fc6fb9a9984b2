/* Blob port of Linux's test_klp_state3: the same as test_klp_state2, another module. */
#include "test_klp_state2.c"
