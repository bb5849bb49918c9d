#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MiB ((size_t)1 << 20)

typedef struct {
    const char *name;
    size_t max;
    int regular_only; /* refuse FIFOs and devices: the input is named as a file and must be one */
} InputKind;

static const InputKind kinds[GB_INPUT_KINDS] = {
    [GB_INPUT_TEXT] = {"text file", 256 * MiB, 0},
    [GB_INPUT_PROMPT] = {"prompt", 16 * MiB, 0},
    [GB_INPUT_LIST] = {"list of files", 16 * MiB, 0},
    [GB_INPUT_LESSON] = {"lesson", 256 * 1024, 1},
    [GB_INPUT_RANKS] = {"rank file", 64 * MiB, 1},
    [GB_INPUT_RECORDING] = {"recording", 16 * MiB, 1},
    [GB_INPUT_PROGRESS] = {"progress file", 4 * MiB, 1},
    [GB_INPUT_HISTORY] = {"history file", 4 * MiB, 1},
    [GB_INPUT_CHECKPOINT] = {"checkpoint", (size_t)8 << 30, 1},
};

size_t gb_input_limit(GbInput kind) { return kinds[kind].max; }
const char *gb_input_name(GbInput kind) { return kinds[kind].name; }

static const char *file_type(mode_t m) {
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

int gb_open_regular(const char *path, char *err) {
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before we can look */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        gb_seterr(err, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        gb_seterr(err, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        gb_seterr(err, "%s: not a regular file (%s)", path, file_type(st.st_mode));
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* "256 MiB" / "12 KiB" / "100 bytes" */
static void show_size(char *out, size_t n, size_t bytes) {
    if (bytes >= MiB && bytes % MiB == 0) snprintf(out, n, "%zu MiB", bytes / MiB);
    else if (bytes >= 1024 && bytes % 1024 == 0) snprintf(out, n, "%zu KiB", bytes / 1024);
    else snprintf(out, n, "%zu bytes", bytes);
}

static void too_large(char *err, const char *shown, GbInput kind) {
    char lim[32];
    show_size(lim, sizeof lim, kinds[kind].max);
    gb_seterr(err, "%s: larger than %s, the limit for a %s", shown, lim, kinds[kind].name);
}

int gb_read_input(GbInput kind, const char *path, char **data, size_t *len, char *err) {
    const InputKind *k = &kinds[kind];
    int is_stdin = strcmp(path, "-") == 0, fd;
    const char *shown = is_stdin ? "standard input" : path;
    if (is_stdin) fd = STDIN_FILENO;
    else if (k->regular_only) fd = gb_open_regular(path, err);
    else if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0)
        gb_seterr(err, "%s: cannot open: %s", path, strerror(errno));
    if (fd < 0) return -1;
    struct stat st;
    int rc = -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        gb_seterr(err, "%s: is a directory", shown);
        goto done;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > k->max) {
        too_large(err, shown, kind); /* known before reading a byte */
        goto done;
    }
    buf = gb_malloc(cap);
    while (n <= k->max) { /* one byte past the limit is enough to know: /dev/zero never fills memory */
        if (n == cap - 1) {
            cap = cap * 2 > k->max + 2 ? k->max + 2 : cap * 2;
            buf = gb_realloc(buf, cap);
        }
        size_t want = cap - 1 - n;
        if (want > k->max + 1 - n) want = k->max + 1 - n;
        ssize_t got = read(fd, buf + n, want);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            gb_seterr(err, "%s: read error: %s", shown, strerror(errno));
            goto done;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    if (n > k->max) {
        too_large(err, shown, kind);
        goto done;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    if (!is_stdin) close(fd);
    return rc;
}

/* ---- writing ---- */

static int write_all(int fd, const char *p, size_t left) {
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* The descriptor a /dev/stdout-like name stands for, so the bytes go to the stream the shell set up
 * (reopening it through /proc would truncate a file opened for appending, or fail for a socket). */
static int standard_stream(const char *path) {
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0) return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0) return STDERR_FILENO;
    if (strncmp(path, "/dev/fd/", 8) == 0) {
        char *end;
        long fd = strtol(path + 8, &end, 10);
        if (end != path + 8 && !*end && fd >= 0 && fd < INT_MAX) return (int)fd;
    }
    return -1;
}

/* Follows symbolic links from path, also dangling ones (a new file then appears where the link points).
 * out (PATH_MAX) receives the final name. Returns 0, or -1 with err. */
static int resolve_links(const char *path, char *out, char *err) {
    snprintf(out, PATH_MAX, "%s", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
        char target[PATH_MAX];
        ssize_t n = readlink(out, target, sizeof target - 1);
        if (n < 0) {
            gb_seterr(err, "%s: cannot read the link: %s", out, strerror(errno));
            return -1;
        }
        target[n] = 0;
        if (target[0] == '/') {
            snprintf(out, PATH_MAX, "%s", target);
        } else {
            char *slash = strrchr(out, '/');
            char joined[PATH_MAX];
            int w = slash ? snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - out), out, target)
                          : snprintf(joined, sizeof joined, "%s", target);
            if (w < 0 || (size_t)w >= sizeof joined) {
                gb_seterr(err, "%s: the link's target is too long", path);
                return -1;
            }
            memcpy(out, joined, (size_t)w + 1);
        }
    }
    gb_seterr(err, "%s: too many levels of symbolic links", path);
    return -1;
}

/* A new file beside target with a name nobody can have prepared: O_EXCL|O_NOFOLLOW, random part. */
static int create_temp(const char *target, char *tmp, char *err) {
    const char *slash = strrchr(target, '/');
    int dir_len = slash ? (int)(slash - target + 1) : 0;
    static uint64_t counter;
    uint64_t seed = gb_mix64((uint64_t)getpid() ^ ((uint64_t)time(NULL) << 20) ^ (uintptr_t)tmp);
    for (int attempt = 0; attempt < 64; attempt++) {
        uint64_t r = gb_mix64(seed + ++counter);
        int w = snprintf(tmp, PATH_MAX, "%.*s.%s.%012llx.tmp", dir_len, target, target + dir_len,
                         (unsigned long long)(r & 0xffffffffffffULL));
        if (w < 0 || w >= PATH_MAX) {
            gb_seterr(err, "%s: the name is too long for a temporary file beside it", target);
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) return fd;
        if (errno != EEXIST) {
            gb_seterr(err, "%s: cannot create a temporary file beside it: %s", target, strerror(errno));
            return -1;
        }
    }
    gb_seterr(err, "%s: cannot create a temporary file beside it", target);
    return -1;
}

static int write_atomic(const char *target, const struct stat *old, const void *data, size_t len,
                        char *err) {
    char tmp[PATH_MAX];
    int fd = create_temp(target, tmp, err);
    if (fd < 0) return -1;
    mode_t mode;
    if (old) {
        mode = old->st_mode & 07777;
        if (geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) != 0) {
            /* keeps root's ownership: the content is still right */
        }
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        gb_seterr(err, "%s: cannot write: %s", target, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, target) != 0) {
        gb_seterr(err, "%s: cannot write: %s", target, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int gb_write_file(const char *path, const void *data, size_t len, char *err) {
    int fd = standard_stream(path);
    if (fd >= 0) {
        if (write_all(fd, data, len) != 0) {
            gb_seterr(err, "%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    char target[PATH_MAX];
    if (resolve_links(path, target, err) != 0) return -1;
    struct stat st;
    int exists = stat(target, &st) == 0;
    if (!exists && errno != ENOENT) {
        gb_seterr(err, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    /* a new file or a regular one with one name: replace it whole, so a failure leaves it as it was */
    if (!exists || (S_ISREG(st.st_mode) && st.st_nlink == 1)) return write_atomic(target, exists ? &st : NULL, data, len, err);
    if (S_ISDIR(st.st_mode)) {
        gb_seterr(err, "%s: cannot write: is a directory", path);
        return -1;
    }
    /* a device, a FIFO, or a file with other hard links that must see the new content: in place */
    fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISREG(st.st_mode) ? O_TRUNC : 0));
    if (fd < 0 || write_all(fd, data, len) != 0) {
        gb_seterr(err, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (close(fd) != 0) {
        gb_seterr(err, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int gb_finish_output(FILE *f, const char *cmd, const char *what) {
    errno = 0;
    if (fflush(f) == 0 && !ferror(f)) return 0;
    int e = errno;
    fprintf(stderr, "glassbox: %s: cannot write %s: %s\n", cmd, what, e ? strerror(e) : "write error");
    clearerr(f);
    return -1;
}

int gb_python_stdlib(char *out, size_t outsz) {
    FILE *p = popen(
        "python3 -c 'import sysconfig; print(sysconfig.get_paths()[\"stdlib\"])' 2>/dev/null", "r");
    if (!p) return -1;
    char line[4096] = "";
    char *got = fgets(line, sizeof line, p);
    pclose(p);
    line[strcspn(line, "\r\n")] = 0;
    char os_py[4096 + 8];
    struct stat st;
    snprintf(os_py, sizeof os_py, "%s/os.py", line);
    if (!got || !line[0] || stat(os_py, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    snprintf(out, outsz, "%s", line);
    return 0;
}
