/*
 * Replays fuzz corpora without libFuzzer, so that make check runs every
 * stored input (seeds and minimised crashes) under the normal build and under
 * ASan/UBSan.  Each fuzz/fuzz_<name>.c is linked with this file into its own
 * replay binary (see the Makefile).
 *
 * usage: fuzz_replay_<name> DIR...   (feeds every file of each DIR to the target)
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
		fclose(f);
		return 1; /* not an input: directories and oversized files are not replayed */
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	for (int a = 1; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		if (!d)
			continue; /* a target may have no corpus of its own yet */
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", argv[a], de->d_name);
			/* A crash aborts the process (the sanitizer says where);
			 * returning means the input was handled. */
			int r = replay_file(path);
			if (r == 0)
				passed++;
			else if (r < 0)
				failed++, fprintf(stderr, "%s: cannot read %s\n", name, path);
		}
		closedir(d);
	}
	printf("%s: %d passed, %d failed\n", name, passed, failed);
	return failed ? 1 : 0;
}
