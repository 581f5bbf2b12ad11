/* replay_main.c - runs a libFuzzer target over every file of a corpus folder, so that the
 * corpus is a regression test in every build (gcc, sanitizers) without libFuzzer. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int files = 0;

	for (int a = 1; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *e;
		if (!d) {
			fprintf(stderr, "cannot open corpus %s\n", argv[a]);
			return 1;
		}
		while ((e = readdir(d))) {
			char path[4096];
			struct stat st;
			uint8_t *buf;
			int fd;
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) != 0) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			buf = malloc((size_t)st.st_size + 1);
			if (buf && read(fd, buf, (size_t)st.st_size) == st.st_size) {
				LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
				files++;
			}
			free(buf);
			close(fd);
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return files > 0 ? 0 : 1;
}
