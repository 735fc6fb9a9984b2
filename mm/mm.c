/* Memory bring-up. */
#include <mm.h>

void mm_init(void)
{
}
