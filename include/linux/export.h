/* <linux/export.h>: a blob's global symbols are visible to later blobs
 * anyway (the loader publishes every defined global), so the export macros
 * declare nothing. */
#pragma once

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL_NS(sym, ns)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
