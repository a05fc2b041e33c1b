/* opens: N x (open + close) of one file.
 *
 *   opens read   N FILE   open(FILE, O_RDONLY)
 *   opens write  N FILE   open(FILE, O_WRONLY | O_CREAT, 0644)
 *   opens denied N FILE   the same, where proctor refuses it: EACCES is
 *                         expected (natively it succeeds)
 *
 * Uses open(2) through libc, which glibc issues as openat(AT_FDCWD, ...).
 * Exits non-zero on the first failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s read|write COUNT FILE\n", argv[0]);
		return 2;
	}
	int flags;
	int denied = strcmp(argv[1], "denied") == 0;
	if (strcmp(argv[1], "read") == 0) {
		flags = O_RDONLY;
	} else if (strcmp(argv[1], "write") == 0 || denied) {
		flags = O_WRONLY | O_CREAT;
	} else {
		fprintf(stderr, "opens: mode must be read, write or denied\n");
		return 2;
	}
	long count = strtol(argv[2], NULL, 10);
	const char *path = argv[3];

	for (long i = 0; i < count; i++) {
		int fd = open(path, flags, 0644);
		if (fd < 0 && denied && errno == EACCES)
			continue;
		if (fd < 0) {
			fprintf(stderr, "opens: open %s (%s) #%ld: %s\n", path,
				argv[1], i, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}
