/*
 * evict.c - drop files from the page cache (posix_fadvise DONTNEED), so a
 * plain run starts cold and on small folios: on kernels with large folios a
 * freshly linked binary can already be PMD-mapped from its page cache,
 * which would make a before/after comparison meaningless.
 *   evict FILE...
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0 || fdatasync(fd) != 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
			perror(argv[i]);
			rc = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	return rc;
}
