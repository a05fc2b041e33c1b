#include "greet.h"

int main(void)
{
	greet("proctor");
	return 0;
}
