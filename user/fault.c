/* fault: reads through a NULL pointer; the kernel kills it with a report. */
#include <kelp.h>

int main(void)
{
	volatile int *p = 0;
	printf("fault: reading address 0\n");
	return *p;
}
