/*
 * clive-slot: the helper a kept sandbox (SandboxSlot) runs as its one long-lived process.
 *
 * For each request read from stdin it starts the cell's command with posix_spawn (glibc's uses
 * clone(CLONE_VM | CLONE_VFORK): no copy of this process, no shell between), stdin /dev/null,
 * stdout and stderr into the slot's io files, waits for it, then kills every other process left
 * in the sandbox's pid namespace until /proc shows only bwrap's init (1) and this helper, answers
 * the exit code (nothing of the cell can write its output any more), empties POSIX message
 * queues and System V IPC, and answers "ready".
 *
 * A request: a 4-byte little-endian length, then that many bytes of NUL-terminated strings:
 * the working directory, the number of environment entries, the entries (NAME=value, set over
 * the helper's own environment), then the argv (argv[0] found on the request's PATH when it
 * has no slash). Answers are lines: "<exit code>" (128 + n for signal n, 127 when the command
 * cannot start) and "ready".
 *
 * Written in C, not C# with Native AOT: it must be built by the plain `dotnet build` the tests
 * run (an AOT publish per build costs a minute on two cores), and a process that only spawns
 * and waits needs no runtime (no GC threads in every sandbox).
 *
 * It makes itself undumpable: a cell runs as the same user in the same pid namespace, and could
 * otherwise ptrace this helper or read its memory to spy on or tamper with the cells after it.
 * (Its binary is also shown unreadable, which has the same effect at exec.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { MaxRequest = 16 << 20, MaxStrings = 65536 };

static const char *io_stdout;
static const char *io_stderr;

static int read_exactly(int fd, void *buffer, size_t length)
{
    char *at = buffer;
    while (length > 0) {
        ssize_t n = read(fd, at, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        at += n;
        length -= (size_t)n;
    }
    return 0;
}

static void answer(const char *line)
{
    size_t length = strlen(line);
    while (length > 0) {
        ssize_t n = write(STDOUT_FILENO, line, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) exit(1); /* the engine is gone */
        line += n;
        length -= (size_t)n;
    }
}

/* Says why the command did not start where the cell's stderr goes, as a shell would. */
static void report(const char *program, const char *why)
{
    int fd = open(io_stderr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    dprintf(fd, "clive: %s: %s\n", program, why);
    close(fd);
}

/* The environment of the command: the helper's, with the request's entries set over it. */
static char **merge_environment(char **entries, int count)
{
    int base = 0;
    while (environ[base]) base++;
    char **merged = calloc((size_t)(base + count + 1), sizeof *merged);
    if (!merged) return NULL;
    int n = 0;
    for (int i = 0; i < base; i++) {
        size_t name = strcspn(environ[i], "=");
        int replaced = 0;
        for (int j = 0; j < count && !replaced; j++)
            replaced = strncmp(entries[j], environ[i], name + 1) == 0;
        if (!replaced) merged[n++] = environ[i];
    }
    for (int j = 0; j < count; j++) merged[n++] = entries[j];
    return merged;
}

/* argv[0] on PATH (from the command's environment), as execvp would find it; NULL when nowhere. */
static char *find_program(const char *program, char **environment, char *buffer, size_t size)
{
    if (strchr(program, '/')) return (char *)program;
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = environment; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    while (1) {
        size_t length = strcspn(path, ":");
        int written = length == 0 ? snprintf(buffer, size, "%s", program)
                                  : snprintf(buffer, size, "%.*s/%s", (int)length, path, program);
        if (written > 0 && (size_t)written < size && access(buffer, X_OK) == 0) return buffer;
        if (path[length] == 0) return NULL;
        path += length + 1;
    }
}

static int run(char *request, size_t length)
{
    static char *strings[MaxStrings + 1];
    int count = 0;
    for (size_t at = 0; at < length && count < MaxStrings; at += strlen(request + at) + 1) strings[count++] = request + at;
    if (count < 3 || count == MaxStrings || request[length - 1] != 0) return -1;
    const char *directory = strings[0];
    int entries = atoi(strings[1]);
    if (entries < 0 || 2 + entries >= count) return -1;
    char **environment = merge_environment(strings + 2, entries);
    if (!environment) return -1;
    char **argv = strings + 2 + entries;
    strings[count] = NULL; /* argv ends the request */

    int code = 127;
    char found[4096];
    char *program = find_program(argv[0], environment, found, sizeof found);
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, io_stdout, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, io_stderr, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, directory);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t child;
    int error = program ? posix_spawn(&child, program, &actions, &attributes, argv, environment) : ENOENT;
    if (error == ENOEXEC) {
        /* A script without a #! line: run by /bin/sh, as execvp and the shell would. */
        int n = 0;
        while (argv[n]) n++;
        char **with_shell = calloc((size_t)n + 2, sizeof *with_shell);
        if (with_shell) {
            with_shell[0] = "/bin/sh";
            with_shell[1] = program;
            for (int i = 1; i <= n; i++) with_shell[i + 1] = argv[i];
            error = posix_spawn(&child, "/bin/sh", &actions, &attributes, with_shell, environment);
            free(with_shell);
        }
    }
    if (error == 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    } else {
        report(argv[0], program ? strerror(error) : "not found");
        code = error == ENOENT ? 127 : 126; /* what a shell answers for a missing or an unusable program */
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    free(environment);
    return code;
}

/* True when /proc shows a process of the sandbox other than init (1) and this helper. */
static int others_left(pid_t self)
{
    DIR *proc = opendir("/proc");
    if (!proc) return 1;
    int left = 0;
    struct dirent *entry;
    while (!left && (entry = readdir(proc))) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        left = *end == 0 && pid > 1 && pid != self;
    }
    closedir(proc);
    return left;
}

/* Kills whatever the cell left (kill(-1) walks every process of the machine: only when something is left). */
static void kill_leftovers(void)
{
    pid_t self = getpid();
    while (others_left(self)) {
        kill(-1, SIGKILL);
        sched_yield(); /* init reaps them; /proc shows them until then */
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
}

static void empty_message_queues(void)
{
    DIR *queues = opendir("/dev/mqueue");
    if (!queues) return;
    struct dirent *entry;
    while ((entry = readdir(queues)))
        if (entry->d_name[0] != '.') unlinkat(dirfd(queues), entry->d_name, 0);
    closedir(queues);
}

/* Removes every System V object of one kind listed in /proc/sysvipc/<kind> (the id is the second column). */
static void remove_ipc(const char *kind, void (*remove)(int id))
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *list = fopen(path, "re");
    if (!list) return;
    int first = 1;
    while (fgets(line, sizeof line, list)) {
        int key, id;
        if (!first && sscanf(line, "%d %d", &key, &id) == 2) remove(id);
        first = 0;
    }
    fclose(list);
}

static void remove_shm(int id) { shmctl(id, IPC_RMID, NULL); }
static void remove_sem(int id) { semctl(id, 0, IPC_RMID); }
static void remove_msg(int id) { msgctl(id, IPC_RMID, NULL); }

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: clive-slot STDOUT-FILE STDERR-FILE (requests on stdin)\n");
        return 2;
    }
    if (getppid() != 1) {
        /* Outside a pid namespace of its own, kill(-1) would end every process of the user. */
        fprintf(stderr, "clive-slot: runs only as the first process of a sandbox (it kills every other process it can see)\n");
        return 2;
    }
    io_stdout = argv[1];
    io_stderr = argv[2];
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    while (1) {
        uint8_t header[4];
        if (read_exactly(STDIN_FILENO, header, sizeof header) < 0) return 0;
        size_t length = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 | (size_t)header[3] << 24;
        if (length == 0 || length > MaxRequest) return 1;
        char *request = malloc(length);
        if (!request || read_exactly(STDIN_FILENO, request, length) < 0) return 1;
        int code = run(request, length);
        free(request);
        if (code < 0) return 1;
        kill_leftovers();
        char line[16];
        snprintf(line, sizeof line, "%d\n", code);
        answer(line);
        empty_message_queues();
        remove_ipc("shm", remove_shm);
        remove_ipc("sem", remove_sem);
        remove_ipc("msg", remove_msg);
        answer("ready\n");
    }
}
