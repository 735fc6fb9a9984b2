; The blobs the module and failslab suites load (module_test.c,
; failslab_test.c), built at kernel build time (Makefile: KTEST_BLOBS) and
; embedded here between NAME and NAME_end. The Makefile puts their
; directory on nasm's include path, which incbin searches.

bits 64
section .rodata progbits alloc noexec nowrite align=8

%macro BLOB 2
global %1, %1_end
align 8
%1:
    incbin %2
%1_end:
%endmacro

; module suite
BLOB kt_mod, "ktest_mod.klp"
BLOB kt_unsigned, "ktest_mod_unsigned.klp"
BLOB kt_otherkey, "ktest_mod_otherkey.klp"
BLOB kt_oob, "ktest_oob.klp"
BLOB kt_reloc, "ktest_reloc.klp"
BLOB kt_unknown, "ktest_unknown.klp"
BLOB kt_ambig, "ktest_ambig.klp"
BLOB kt_far, "ktest_far.klp"

; failslab suite
BLOB fs_ktest_mod, "ktest_mod.klp"
BLOB fs_storm_mod, "storm_mod.klp"
