/* bpffs pinning: <pin_path>/v<layout>/<module>/{maps,progs,links}/ and a
 * meta map pinned last as the completion marker.  A second front-end finds
 * the marker and reads the same maps instead of loading programs again;
 * pinned links keep the programs attached across front-end restarts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int ebs_pin_dir(const struct ebs_config *cfg, const char *module, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/v%d/%s", cfg->pin_path, EBS_PIN_LAYOUT, module);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[EBS_PATH_LEN * 2];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ebs_pin_lock(const char *pin_path, char *err, size_t errlen)
{
	int rc = mkdir_p(pin_path), fd;

	if (rc < 0) {
		snprintf(err, errlen, "cannot create pin directory %s: %s", pin_path,
			 strerror(-rc));
		return -1;
	}
	/* flock works on any inode, bpffs directories included: it serialises
	 * "look for pins, else load and pin" between front-ends. */
	fd = open(pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock pin directory %s: %s", pin_path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int ebs_pin_lockable(const char *pin_path, char *err, size_t errlen)
{
	char dir[EBS_PATH_LEN * 2];
	struct stat st;
	int fd, rc = 0;

	if (snprintf(dir, sizeof(dir), "%s", pin_path) >= (int)sizeof(dir)) {
		rc = ENAMETOOLONG;
		goto fail;
	}
	if (stat(dir, &st) == 0) {
		/* what ebs_pin_lock opens and flocks, and where modules go */
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "cannot lock pin directory %s: %s", pin_path,
				 strerror(errno));
			return -1;
		}
		close(fd);
		if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
			rc = errno;
		goto done;
	}
	/* mkdir_p would create it: the nearest ancestor that exists must let
	 * this process in and write */
	while (errno == ENOENT) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		*slash = '\0';
		if (slash == dir)
			snprintf(dir, sizeof(dir), "/");
		if (stat(dir, &st) == 0) {
			errno = 0;
			if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
				rc = errno;
			goto done;
		}
	}
	rc = errno ? errno : ENOENT;
done:
	if (rc == 0)
		return 0;
fail:
	snprintf(err, errlen, "cannot create pin directory %s: %s", pin_path, strerror(rc));
	return -1;
}

void ebs_pin_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

int ebs_rm_rf(const char *path)
{
	struct stat st;
	int removed = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d)
			return -1;
		while ((de = readdir(d))) {
			char sub[EBS_PATH_LEN * 2];
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
			    (int)sizeof(sub))
				continue;
			int n = ebs_rm_rf(sub);
			if (n > 0)
				removed += n;
		}
		closedir(d);
		if (rmdir(path) < 0)
			return -1;
		return removed;
	}
	if (unlink(path) < 0)
		return -1;
	return 1;
}

static int path_join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
	int n = c ? snprintf(buf, len, "%s/%s/%s", a, b, c) : snprintf(buf, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static bool pin_map_is(int fd, uint32_t type, uint32_t key_size, uint32_t value_size)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == type &&
	       info.key_size == key_size && info.value_size == value_size;
}

int ebs_pin_reuse(struct ebs_module *m, const char *dir, bool readonly, struct ebs_pin_meta *meta,
		  char *err, size_t errlen)
{
	char path[EBS_PATH_LEN * 2];
	uint32_t key = 0;
	int fd;
	struct stat st;

	if (path_join(path, sizeof(path), dir, "meta", NULL) < 0)
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "cannot open pinned %s: %s", path, strerror(errno));
			return -1;
		}
		/* No completion marker: a loader died half-way (or is loading
		 * now).  Its leftovers are ours to clear (we hold the lock),
		 * unless we only look. */
		if (stat(dir, &st) == 0) {
			if (!readonly)
				ebs_rm_rf(dir);
			else
				snprintf(err, errlen,
					 "pins at %s have no meta (a loader died half-way, or is "
					 "loading now): the next loader clears them",
					 dir);
		}
		return 0;
	}
	/* A meta of another shape (a hand-made or foreign pin) would make the
	 * kernel copy more than *meta holds: check before the lookup. */
	if (!pin_map_is(fd, BPF_MAP_TYPE_ARRAY, sizeof(key), sizeof(*meta))) {
		snprintf(err, errlen,
			 "incompatible pins at %s: its meta is not one this build writes; run "
			 "'ebpfstats unload' to remove them",
			 dir);
		close(fd);
		return -1;
	}
	memset(meta, 0, sizeof(*meta));
	if (bpf_map_lookup_elem(fd, &key, meta) < 0) {
		snprintf(err, errlen, "cannot read pinned %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (meta->layout != EBS_PIN_LAYOUT) {
		snprintf(err, errlen,
			 "incompatible pins at %s (layout %u, this build reads %d): run "
			 "'ebpfstats unload' to remove them",
			 dir, meta->layout, EBS_PIN_LAYOUT);
		return -1;
	}
	for (unsigned i = 0; i < m->ops->n_maps; i++) {
		if (path_join(path, sizeof(path), dir, "maps", m->ops->maps[i]) < 0)
			return -1;
		m->map_fd[i] = bpf_obj_get(path);
		if (m->map_fd[i] < 0) {
			snprintf(err, errlen,
				 "incompatible pins at %s: map %s missing (%s); run 'ebpfstats "
				 "unload' to remove them",
				 dir, m->ops->maps[i], strerror(errno));
			return -1;
		}
	}
	if (path_join(path, sizeof(path), dir, "progs", NULL) == 0) {
		DIR *d = opendir(path);
		struct dirent *de;

		while (d && (de = readdir(d)) && m->n_prog_fd < EBS_MAX_HOOKS * 3) {
			char p[EBS_PATH_LEN * 2];
			if (de->d_name[0] == '.' || path_join(p, sizeof(p), path, de->d_name, NULL))
				continue;
			int pfd = bpf_obj_get(p);
			if (pfd >= 0)
				m->prog_fd[m->n_prog_fd++] = pfd;
		}
		if (d)
			closedir(d);
	}
	/* none when the loader ran without it (its reason, in meta, says so) */
	m->iter_pin[0] = '\0';
	if (m->ops->iter_prog && path_join(path, sizeof(path), dir, "links", "iter") == 0 &&
	    access(path, F_OK) == 0)
		snprintf(m->iter_pin, sizeof(m->iter_pin), "%s", path);
	return 1;
}

int ebs_pin_save(struct ebs_module *m, const char *dir, const struct ebs_pin_meta *meta, char *err,
		 size_t errlen)
{
	char path[EBS_PATH_LEN * 2];
	struct bpf_program *prog;
	uint32_t key = 0;
	int rc, fd;
	static const char *const subdirs[] = {"maps", "progs", "links"};

	for (unsigned i = 0; i < 3; i++) {
		if (path_join(path, sizeof(path), dir, subdirs[i], NULL) < 0 ||
		    (rc = mkdir_p(path)) < 0) {
			snprintf(err, errlen, "cannot create %s/%s", dir, subdirs[i]);
			return -1;
		}
	}
	for (unsigned i = 0; i < m->ops->n_maps; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(m->obj, m->ops->maps[i]);
		if (!map || path_join(path, sizeof(path), dir, "maps", m->ops->maps[i]) < 0 ||
		    bpf_map__pin(map, path) < 0) {
			snprintf(err, errlen, "cannot pin map %s at %s: %s", m->ops->maps[i], dir,
				 strerror(errno));
			return -1;
		}
	}
	bpf_object__for_each_program(prog, m->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		if (path_join(path, sizeof(path), dir, "progs", bpf_program__name(prog)) < 0 ||
		    bpf_obj_pin(bpf_program__fd(prog), path) < 0) {
			snprintf(err, errlen, "cannot pin program %s: %s", bpf_program__name(prog),
				 strerror(errno));
			return -1;
		}
	}
	for (unsigned i = 0; i < EBS_MAX_HOOKS; i++) {
		if (!m->links[i])
			continue;
		const struct ebs_hook *hk = &m->ops->hooks[i];
		if (path_join(path, sizeof(path), dir, "links", hk->event) < 0 ||
		    bpf_link__pin(m->links[i], path) < 0) {
			snprintf(err, errlen,
				 "cannot pin the link of %s:%s: %s (kernel too old for pinnable "
				 "links of this kind?)",
				 hk->category, hk->event, strerror(errno));
			return -1;
		}
	}
	/* the module's iterator: readers of the pins create theirs from it */
	if (m->iter_link && (path_join(path, sizeof(path), dir, "links", "iter") < 0 ||
			     bpf_link__pin(m->iter_link, path) < 0)) {
		snprintf(err, errlen, "cannot pin the link of %s: %s", m->ops->iter_name,
			 strerror(errno));
		return -1;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ebs_meta", sizeof(key), sizeof(*meta), 1, NULL);
	if (fd < 0 || bpf_map_update_elem(fd, &key, meta, BPF_ANY) < 0 ||
	    path_join(path, sizeof(path), dir, "meta", NULL) < 0 || bpf_obj_pin(fd, path) < 0) {
		snprintf(err, errlen, "cannot pin %s/meta: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int ebs_pin_other_layouts(const char *pin_path, char *note, size_t len)
{
	DIR *d = opendir(pin_path);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long v;
		if (de->d_name[0] != 'v')
			continue;
		v = strtol(de->d_name + 1, &end, 10);
		if (*end || v == EBS_PIN_LAYOUT)
			continue;
		if (!found)
			snprintf(note, len,
				 "pins of another ebpfstats layout (%s) are still loaded under %s; "
				 "'ebpfstats unload' removes them",
				 de->d_name, pin_path);
		found++;
	}
	closedir(d);
	return found;
}

int ebs_unload(const char *pin_path, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	int removed = 0;

	if (!pin_path || !pin_path[0]) {
		snprintf(err, errlen, "pin_path is empty: private programs have no pins to remove");
		return -1;
	}
	d = opendir(pin_path);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", pin_path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char sub[EBS_PATH_LEN * 2];
		if (de->d_name[0] != 'v' ||
		    snprintf(sub, sizeof(sub), "%s/%s", pin_path, de->d_name) >= (int)sizeof(sub))
			continue;
		int n = ebs_rm_rf(sub);
		if (n < 0) {
			snprintf(err, errlen, "cannot remove %s: %s", sub, strerror(errno));
			closedir(d);
			return -1;
		}
		removed += n;
	}
	closedir(d);
	rmdir(pin_path); /* only if now empty */
	return removed;
}
