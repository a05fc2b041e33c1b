#include <stdio.h>
#include "greet.h"

void greet(const char *who)
{
	printf("hello from a build supervised by %s\n", who);
}
