/*
 * laocoon graph [--highlight [--all] [--depth N]] [--subgraph NAME]
 *               [--format dot|svg|json] [-o OUT] PATH
 *
 * Scans PATH like `laocoon inspect` (keeping the model graph), runs the
 * architectural-backdoor analysis (src/analyze/backdoor.h) on the first
 * file that carries a graph and writes the graph, or only its suspicious
 * subgraphs, as Graphviz DOT (src/report/dot.c), as SVG through `dot -Tsvg`,
 * or the candidates as JSON (docs/graph.md).
 *
 * Exit status: 1 a candidate (or a scan finding) at HIGH or above, else 2
 * when something could not be analysed or written (no graph in PATH, dot
 * missing or failing), else 0; 64 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/backdoor.h"
#include "commands.h"
#include "graph/graph.h"
#include "laocoon.h"
#include "report/dot.h"

static void graph_usage(FILE *out)
{
	fputs("usage: laocoon graph [--highlight [--all] [--depth N]] [--subgraph NAME]\n"
	      "                     [--format dot|svg|json] [-o OUT] [--limit K=V]... PATH\n"
	      "\n"
	      "Draws a model's graph as Graphviz DOT.  PATH is a model file or a model\n"
	      "directory (a SavedModel): the first file holding a graph is drawn.  Nothing\n"
	      "is executed.\n"
	      "\n"
	      "options:\n"
	      "      --highlight     draw only the suspicious subgraphs the architectural-\n"
	      "                      backdoor analysis found (severity HIGH and above), with\n"
	      "                      their neighbourhood: trigger path and selector in red,\n"
	      "                      payload in orange, the model's branch in blue\n"
	      "      --all           with --highlight or json: every candidate, any severity\n"
	      "      --depth N       neighbourhood drawn around a path, in hops (default 1)\n"
	      "      --subgraph NAME draw this subgraph (name or index; default the main graph)\n"
	      "  -f, --format FMT    dot (default), svg (needs Graphviz's dot) or json (the\n"
	      "                      candidates and their paths, docs/graph.md)\n"
	      "  -o, --output OUT    write to OUT instead of standard output\n"
	      "      --limit K=V     change a scan limit (see laocoon --help-limits)\n"
	      "\n"
	      "exit status: 0 nothing at HIGH or above, 1 a suspicious subgraph (or a scan\n"
	      "finding) at HIGH or above, 2 PATH could not be analysed or drawn, 64 usage error.\n",
	      out);
}

/* The full path of an executable called name on PATH, malloc'ed, or NULL. */
static char *which(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		return NULL;
	while (*path) {
		size_t n = strcspn(path, ":");
		const char *dir = n ? path : ".";
		size_t dn = n ? n : 1;
		char *full = malloc(dn + strlen(name) + 2);
		if (!full)
			return NULL;
		memcpy(full, dir, dn);
		full[dn] = '/';
		strcpy(full + dn + 1, name);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Runs `dot -Tsvg` with the DOT text on its standard input and out_fd as
 * its standard output.  0 ok, -1 with a message printed. */
static int run_dot(const char *dot, const char *text, size_t len, int out_fd)
{
	int p[2];
	if (pipe(p) != 0) {
		fprintf(stderr, "laocoon: graph: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "laocoon: graph: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[0], 0) < 0 || dup2(out_fd, 1) < 0)
			_exit(126);
		close(p[0]);
		close(p[1]);
		char *const args[] = {(char *)"dot", (char *)"-Tsvg", NULL};
		execv(dot, args);
		_exit(127);
	}
	close(p[0]);
	/* dot may die before reading everything: see EPIPE, not SIGPIPE */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int wr = write_all(p[1], text, len);
	close(p[1]);
	signal(SIGPIPE, old);
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		fprintf(stderr, "laocoon: graph: waitpid: %s\n", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		fprintf(stderr, "laocoon: graph: could not run %s: install graphviz or use --format dot\n",
		        dot);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "laocoon: graph: dot was killed by signal %d\n", WTERMSIG(status));
		else
			fprintf(stderr, "laocoon: graph: dot failed (exit status %d)\n", WEXITSTATUS(status));
		return -1;
	}
	if (wr != 0) {
		fprintf(stderr, "laocoon: graph: dot did not read its input\n");
		return -1;
	}
	return 0;
}

static int parse_depth(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 100)
		return -1;
	*out = (int)v;
	return 0;
}

int lc_cmd_graph(int argc, char **argv)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	const char *format = "dot", *output = NULL, *subgraph = NULL, *path = NULL;
	int highlight = 0, all = 0, depth = 1, only = 0, depth_set = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has_val = i + 1 < argc;
		if (only || a[0] != '-' || strcmp(a, "-") == 0) {
			if (path) {
				fprintf(stderr, "laocoon: graph takes one PATH\n");
				goto usage;
			}
			path = a;
		} else if (strcmp(a, "--") == 0) {
			only = 1;
		} else if (strcmp(a, "--highlight") == 0) {
			highlight = 1;
		} else if (strcmp(a, "--all") == 0) {
			all = 1;
		} else if ((strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) && has_val) {
			format = argv[++i];
			if (strcmp(format, "dot") && strcmp(format, "svg") && strcmp(format, "json")) {
				fprintf(stderr, "laocoon: graph: unknown format '%s' (dot, svg, json)\n",
				        format);
				goto usage;
			}
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_val) {
			output = argv[++i];
		} else if (strcmp(a, "--depth") == 0 && has_val) {
			if (parse_depth(argv[++i], &depth)) {
				fprintf(stderr, "laocoon: graph: --depth takes a number from 0 to 100\n");
				goto usage;
			}
			depth_set = 1;
		} else if (strcmp(a, "--subgraph") == 0 && has_val) {
			subgraph = argv[++i];
		} else if (strcmp(a, "--limit") == 0 && has_val) {
			char err[256];
			if (lc_limits_set(&opt.limits, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "laocoon: %s\n", err);
				goto usage;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			graph_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "laocoon: graph: unknown option or missing value '%s'\n", a);
			goto usage;
		}
	}
	if (!path) {
		fprintf(stderr, "laocoon: graph needs a PATH\n");
		goto usage;
	}
	if (subgraph && highlight) {
		fprintf(stderr, "laocoon: graph: --subgraph draws a whole subgraph; --highlight draws the "
		                "suspicious ones\n");
		goto usage;
	}
	if (depth_set && !highlight)
		fprintf(stderr, "laocoon: graph: --depth only applies with --highlight\n");

	char *dot = NULL;
	if (strcmp(format, "svg") == 0) {
		dot = which("dot");
		if (!dot) {
			fprintf(stderr, "laocoon: graph: Graphviz's dot is not on PATH: install graphviz or "
			                "use --format dot "
			                "(Debian: apt-get install graphviz)\n");
			return 2;
		}
	}

	lc_result res = {0};
	lc_scan_path(&opt, path, &res);
	lc_file_result *f = NULL;
	size_t ngraphs = 0;
	for (size_t i = 0; i < res.nfiles; i++)
		if (res.files[i].graph) {
			if (!f)
				f = &res.files[i];
			ngraphs++;
		}
	if (!f) {
		for (size_t i = 0; i < res.nfiles; i++)
			if (res.files[i].error && res.files[i].status == LC_STATUS_ERROR)
				fprintf(stderr, "laocoon: graph: %s: %s\n", res.files[i].path,
				        res.files[i].error);
		fprintf(stderr,
		        "laocoon: graph: no model graph in %s (graphs are read from ONNX, TensorFlow, "
		        "TFLite and Keras files)\n",
		        path);
		lc_result_free(&res);
		free(dot);
		return 2;
	}
	if (ngraphs > 1)
		fprintf(stderr,
		        "laocoon: graph: %s holds %zu model graphs; drawing %s (name a file to choose)\n",
		        path, ngraphs, f->path);
	if (f->status != LC_STATUS_SCANNED)
		fprintf(stderr,
		        "laocoon: graph: %s was not fully analysed (%s): the graph may be incomplete\n",
		        f->path, f->error ? f->error : "error");
	lc_graph *g = f->graph;
	/* The scan's context is gone: nothing may record through it any more. */
	g->ctx = NULL;

	int sg = -1;
	if (subgraph) {
		sg = lc_dot_find_subgraph(g, subgraph);
		if (sg < 0) {
			fprintf(stderr, "laocoon: graph: no subgraph '%s' in %s; subgraphs:", subgraph,
			        f->path);
			for (size_t i = 0; i < g->nsubs && i < 30; i++)
				fprintf(stderr, " %zu:%s", i, g->subs[i].name ? g->subs[i].name : "?");
			fputs(g->nsubs > 30 ? " ...\n" : "\n", stderr);
			lc_result_free(&res);
			free(dot);
			return 2;
		}
	}

	lc_bd_report rep;
	memset(&rep, 0, sizeof rep);
	int arc = lc_backdoor_analyze(NULL, g, &rep);
	int complete = arc == 0 && !g->failed;
	if (arc != 0)
		fprintf(stderr,
		        "laocoon: graph: the backdoor analysis of %s did not complete (a limit or memory)\n",
		        f->path);
	size_t nsel = 0, nhigh = 0;
	for (size_t i = 0; i < rep.n; i++) {
		nsel += lc_dot_selected(&rep.c[i], all);
		nhigh += rep.c[i].severity >= LC_SEV_HIGH;
	}

	/* the text (DOT or JSON) into memory first: svg pipes it through dot */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int wrc = -1;
	lc_dot_stats st = {0};
	if (mem) {
		if (strcmp(format, "json") == 0) {
			wrc = lc_dot_json(mem, f->path, g, &rep, all, complete);
		} else {
			lc_dot_options dopt = {.highlight = highlight,
			                       .all = all,
			                       .depth = depth,
			                       .subgraph = sg,
			                       .max_nodes = 0,
			                       .title = f->path};
			wrc = lc_dot_write(mem, g, &rep, &dopt, &st);
		}
		if (fclose(mem) != 0)
			wrc = -1;
	}
	if (wrc == 0 && (highlight || strcmp(format, "json") == 0) && nsel == 0)
		fprintf(stderr, "laocoon: graph: no suspicious subgraph in %s\n", f->path);
	if (wrc == 0 && st.truncated && !highlight)
		fprintf(stderr,
		        "laocoon: graph: %zu nodes: only the first %zu drawn; use --highlight to draw the "
		        "suspicious subgraphs\n",
		        st.total, st.nodes);
	else if (wrc == 0 && st.truncated)
		fprintf(stderr, "laocoon: graph: neighbourhood cut at %zu nodes; try a smaller --depth\n",
		        st.nodes);

	int code = lc_result_exit_code(&res, LC_SEV_HIGH);
	if (code == 1 && nhigh == 0)
		fprintf(stderr, "laocoon: graph: %s has findings at HIGH or above: see laocoon scan\n", path);
	if (nhigh)
		code = 1;
	else if (code == 0 && !complete)
		code = 2;
	lc_bd_report_free(&rep);
	lc_result_free(&res);

	if (wrc != 0) {
		fprintf(stderr, "laocoon: graph: could not write the graph (out of memory)\n");
		free(buf);
		free(dot);
		return code == 1 ? 1 : 2;
	}
	int out_fd = 1;
	if (output) {
		out_fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			fprintf(stderr, "laocoon: graph: cannot write %s: %s\n", output, strerror(errno));
			free(buf);
			free(dot);
			return code == 1 ? 1 : 2;
		}
	}
	int orc;
	if (dot) {
		orc = run_dot(dot, buf, len, out_fd);
	} else {
		fflush(stdout);
		orc = write_all(out_fd, buf, len);
		if (orc)
			fprintf(stderr, "laocoon: graph: could not write the output: %s\n", strerror(errno));
	}
	if (output && close(out_fd) != 0 && orc == 0) {
		fprintf(stderr, "laocoon: graph: could not write %s: %s\n", output, strerror(errno));
		orc = -1;
	}
	if (orc != 0 && output)
		unlink(output);
	free(buf);
	free(dot);
	if (orc != 0)
		return code == 1 ? 1 : 2;
	return code;
usage:
	graph_usage(stderr);
	return LC_EXIT_USAGE;
}
