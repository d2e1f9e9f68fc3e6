// SPDX-License-Identifier: GPL-2.0
/*
 * egm-qmp: a minimal QMP client for the test guest (no socat there).
 *
 *   egm-qmp [-t SECONDS] SOCKET COMMAND-JSON...
 *
 * Connects to QEMU's QMP unix socket (retrying until it appears, up to
 * -t seconds, default 30), reads the greeting, negotiates capabilities,
 * then sends each COMMAND-JSON in turn and prints QEMU's reply to it (one
 * line; asynchronous events are skipped). Exits 0 when every reply is a
 * "return", 1 on an "error" reply or a lost connection, 2 on usage. For
 * "quit", QEMU closing the connection counts as success.
 */
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static char buf[1 << 16];
static size_t len;
static int timeout_s = 30;

/* Read one '\n'-terminated line into line[]; 0 on success. */
static int read_line(char *line, size_t max)
{
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = nl - buf;

			if (l >= max)
				l = max - 1;
			memcpy(line, buf, l);
			line[l] = 0;
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
			return 0;
		}
		if (len == sizeof(buf)) {
			fprintf(stderr, "egm-qmp: reply too long\n");
			return -1;
		}
		if (poll(&p, 1, timeout_s * 1000) <= 0) {
			fprintf(stderr, "egm-qmp: no reply within %d s\n", timeout_s);
			return -1;
		}
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0) {
			fprintf(stderr, "egm-qmp: connection closed\n");
			return -1;
		}
		len += n;
	}
}

/* Send CMD and wait for its reply (skipping events); 0 if "return". */
static int command(const char *cmd, int print)
{
	static char line[1 << 16];
	size_t l = strlen(cmd);
	int quit = strstr(cmd, "\"quit\"") != NULL;

	if (write(fd, cmd, l) != (ssize_t)l || write(fd, "\n", 1) != 1) {
		if (quit)
			return 0;
		perror("egm-qmp: write");
		return -1;
	}
	for (;;) {
		if (read_line(line, sizeof(line)))
			return quit ? 0 : -1;
		if (strstr(line, "\"event\""))
			continue;
		if (print)
			printf("%s\n", line);
		return strstr(line, "\"return\"") ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char line[1 << 16];
	struct timespec start, now;
	int i = 1, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout_s = atoi(argv[2]);
		i = 3;
	}
	if (argc - i < 2 || strlen(argv[i]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: egm-qmp [-t SECONDS] SOCKET COMMAND-JSON...\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[i++]);

	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("egm-qmp: socket");
			return 1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			fprintf(stderr, "egm-qmp: connect %s: %s\n", sa.sun_path,
				strerror(errno));
			return 1;
		}
		usleep(50000);
	}
	if (read_line(line, sizeof(line)) || !strstr(line, "\"QMP\"")) {
		fprintf(stderr, "egm-qmp: no QMP greeting\n");
		return 1;
	}
	if (command("{\"execute\": \"qmp_capabilities\"}", 0)) {
		fprintf(stderr, "egm-qmp: qmp_capabilities failed\n");
		return 1;
	}
	for (; i < argc; i++)
		if (command(argv[i], 1))
			rc = 1;
	fflush(stdout);
	close(fd);
	return rc;
}
