/*
 * write.c - writes a report tree to a plain folder for `finops-controller
 * report --out DIR`: the only I/O of controller/report.
 *
 * Input: files with repo-relative paths (fc_status_tree).  Output: DIR/path
 * for each, parent folders created.  Files are written whole and replaced.
 */
#include "controller/report/fc_report.h"
#include "controller/core/fc_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p of the folders in path before its last '/'. */
static int make_parents(char *path)
{
    char *p;
    for (p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return fc_error_set(FC_EIO, "%s: %s", path, strerror(e));
        }
        *p = '/';
    }
    return FC_OK;
}

int fc_report_write_dir(const fc_status_tree *t, const char *dir)
{
    size_t i;
    int rc = FC_OK;
    for (i = 0; i < t->n && rc == FC_OK; i++) {
        char *path = fc_asprintf("%s/%s", dir, t->files[i].path);
        FILE *f;
        if (!path)
            return fc_error_set(FC_ENOMEM, "out of memory");
        if ((rc = make_parents(path)) == FC_OK) {
            if (!(f = fopen(path, "wb")))
                rc = fc_error_set(FC_EIO, "%s: %s", path, strerror(errno));
            else if ((t->files[i].len && fwrite(t->files[i].data, 1, t->files[i].len, f) !=
                                             t->files[i].len) |
                     (fclose(f) != 0))
                rc = fc_error_set(FC_EIO, "%s: write failed", path);
        }
        free(path);
    }
    return rc;
}
