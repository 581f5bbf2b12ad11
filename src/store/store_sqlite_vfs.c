/*
 * store_sqlite_vfs.c - a thin SQLite VFS over the default one that empties the WAL by
 * overwriting it with zeros instead of truncating it.
 *
 * Why: store_purge_log runs a TRUNCATE checkpoint (at most once a second while citizens
 * leave) so that no old copy of an erased subscriber's page survives in the WAL file.
 * Truncating gives the file's blocks and page-cache pages back, and the very next
 * commits pay to get them again: measured, a third of the writer thread's time went to
 * ext4 allocating blocks and folios for frames written into a WAL emptied every second.
 * Zeroing keeps the blocks, and the old bytes are just as gone from the file (the
 * erasure scan of tests/integration reads every byte of the DB and the WAL). It is done
 * with fallocate(FALLOC_FL_ZERO_RANGE), which marks the blocks as reading zeros without
 * writing any (written zeros, tens of MB a second under load, made the next fdatasync
 * wait for them: measured, p99 and events/s got worse); where the file system cannot,
 * zeros are written. A WAL that starts with zeros is an empty WAL to SQLite: its header
 * is not valid, so neither a reader nor recovery after a crash looks at the frames after
 * it, exactly as with the old frames a RESTART checkpoint leaves behind.
 *
 * SQLite calls xTruncate(WAL, 0) only from a TRUNCATE checkpoint, holding the write lock
 * and every reader's slot after resetting the WAL index, so no connection can be reading
 * those bytes while they are overwritten.
 *
 * It also gathers a transaction's WAL frames and writes them in as few calls as it can:
 * SQLite writes each frame as two calls (its 24-byte header, then its page), and a
 * commit of a group of webhook events is tens of frames, so the writer thread made
 * dozens of small system calls per commit (measured: joins and leaves cost 10 % less
 * daemon CPU per event gathered). What SQLite writes forward, each write where the last
 * one ended, is kept in a buffer and written when the commit frame (the one whose header
 * holds the database size) is complete, when the buffer is full, and before anything
 * else is done with the file; a write anywhere else goes out at once, after it. So
 * a commit is on the file before its xWrite returns, and an error writing it fails the
 * commit; SQLite publishes a commit to readers (in the WAL index) only after that, and
 * frames of a transaction not yet committed are read back, by the only connection that
 * can see them, through this file (which writes what it holds first). Every other call
 * goes to the default VFS unchanged (locks included: the same unix VFS does them).
 */
#include "store/store_sqlite.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define KEEP_VFS_NAME "banditore-keep-wal"
#define ZERO_CHUNK 65536
#define GATHER_MAX (1 << 20) /* bytes of frames held before they are written */
#define WRITE_MAX 65536      /* per call: the unix VFS writes at most 128 KiB - 1 at once */
#define FRAME_HEADER 24      /* a WAL frame's header: page number, then database size */

struct keep_file {
	sqlite3_file base; /* first: SQLite sees this one */
	int is_wal;
	int zero_fd;        /* the WAL's own descriptor for fallocate, or -1 */
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	/* Frames gathered to be written together (WAL only): held_len bytes for offset
	 * held_off, in a buffer of GATHER_MAX bytes sqlite3_malloc'd at the first write. */
	unsigned char *held;
	int held_len;
	sqlite3_int64 held_off;
	sqlite3_int64 next_off; /* where the last write ended: the log goes on from there */
	int commit_next; /* the last write was a commit frame's header: its page ends it */
};

static sqlite3_vfs keep_vfs;
static sqlite3_vfs *real_vfs;
static pthread_once_t keep_once = PTHREAD_ONCE_INIT;
static int keep_rc = SQLITE_ERROR;
static const unsigned char zeros[ZERO_CHUNK];

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct keep_file *)f)->real;
}

/* Writes what is held back, if anything; every method but xWrite starts with this. */
static int flush(sqlite3_file *f)
{
	struct keep_file *k = (struct keep_file *)f;
	int n = k->held_len, done = 0, rc = SQLITE_OK;

	k->held_len = 0;
	while (rc == SQLITE_OK && done < n) {
		int c = n - done < WRITE_MAX ? n - done : WRITE_MAX;
		rc = k->real->pMethods->xWrite(k->real, k->held + done, c, k->held_off + done);
		done += c;
	}
	return rc;
}

static int k_close(sqlite3_file *f)
{
	struct keep_file *k = (struct keep_file *)f;
	int rc = flush(f), rc2 = k->real->pMethods->xClose(k->real);

	sqlite3_free(k->held);
	k->held = NULL;
	if (k->zero_fd >= 0)
		close(k->zero_fd);
	k->zero_fd = -1;
	return rc != SQLITE_OK ? rc : rc2;
}

static int k_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f), buf, amt, off);
}

/* A frame header whose database-size field (bytes 4-7) is not zero marks a commit. */
static int commit_header(const void *buf, int amt)
{
	const unsigned char *h = buf;
	return amt == FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int k_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct keep_file *k = (struct keep_file *)f;
	int ends_commit, forward, rc;

	if (!k->is_wal)
		return k->real->pMethods->xWrite(k->real, buf, amt, off);
	ends_commit = k->commit_next;
	k->commit_next = commit_header(buf, amt);
	/* Only the log written forward is gathered. A write anywhere else goes out at once,
	 * after what is held: a page overwritten in place, and the headers whose checksums
	 * SQLite rewrites after writing the commit frame (when a transaction wrote a page
	 * twice), which must be on the file too when the commit returns. */
	forward = off == k->next_off && amt > 0 && amt <= GATHER_MAX;
	k->next_off = off + amt;
	if (!forward || k->held_len + amt > GATHER_MAX) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (forward && !k->held)
		k->held = sqlite3_malloc(GATHER_MAX);
	if (!forward || !k->held) /* out of memory: written as SQLite would */
		return k->real->pMethods->xWrite(k->real, buf, amt, off);
	if (!k->held_len)
		k->held_off = off;
	memcpy(k->held + k->held_len, buf, (size_t)amt);
	k->held_len += amt;
	return ends_commit ? flush(f) : SQLITE_OK;
}

/* The one change: a WAL emptied to zero bytes is overwritten with zeros and keeps its
 * size (and its blocks); any other truncation is the default VFS's. */
static int k_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct keep_file *k = (struct keep_file *)f;
	sqlite3_int64 len = 0, off;
	int rc;

	rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (!k->is_wal || size != 0)
		return k->real->pMethods->xTruncate(k->real, size);
	rc = k->real->pMethods->xFileSize(k->real, &len);
	/* Zeros without writing them: the range's blocks stay allocated but read as zeros
	 * (no page of zeros to write back at the next fdatasync). */
	if (rc == SQLITE_OK && k->zero_fd >= 0 && len > 0 &&
	    fallocate(k->zero_fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, len) == 0)
		return SQLITE_OK;
	for (off = 0; rc == SQLITE_OK && off < len; off += ZERO_CHUNK) {
		int n = len - off < ZERO_CHUNK ? (int)(len - off) : ZERO_CHUNK;
		rc = k->real->pMethods->xWrite(k->real, zeros, n, off);
	}
	return rc;
}

static int k_sync(sqlite3_file *f, int flags)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int k_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int k_lock(sqlite3_file *f, int level)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xLock(real_of(f), level);
}

static int k_unlock(sqlite3_file *f, int level)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int k_check_reserved(sqlite3_file *f, int *out)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int k_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int k_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int k_device_characteristics(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int k_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}

static int k_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void k_shm_barrier(sqlite3_file *f)
{
	flush(f); /* never holds anything here: xShm* are called on the database file */
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int k_shm_unmap(sqlite3_file *f, int delete_flag)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

static int k_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFetch(real_of(f), off, amt, out);
}

static int k_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods keep_io = {
	.iVersion = 3,
	.xClose = k_close,
	.xRead = k_read,
	.xWrite = k_write,
	.xTruncate = k_truncate,
	.xSync = k_sync,
	.xFileSize = k_file_size,
	.xLock = k_lock,
	.xUnlock = k_unlock,
	.xCheckReservedLock = k_check_reserved,
	.xFileControl = k_file_control,
	.xSectorSize = k_sector_size,
	.xDeviceCharacteristics = k_device_characteristics,
	.xShmMap = k_shm_map,
	.xShmLock = k_shm_lock,
	.xShmBarrier = k_shm_barrier,
	.xShmUnmap = k_shm_unmap,
	.xFetch = k_fetch,
	.xUnfetch = k_unfetch,
};

static int k_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct keep_file *k = (struct keep_file *)f;
	int rc;

	(void)vfs;
	memset(k, 0, sizeof(*k));
	k->real = (sqlite3_file *)(k + 1);
	k->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	k->zero_fd = -1;
	rc = real_vfs->xOpen(real_vfs, name, k->real, flags, out_flags);
	/* SQLite takes no lock on the WAL file itself, so a descriptor of our own on it
	 * (closed with SQLite's) cannot drop one. */
	if (rc == SQLITE_OK && k->is_wal && name)
		k->zero_fd = open(name, O_RDWR | O_CLOEXEC | O_NOCTTY);
	/* Methods only on a file the default VFS opened (SQLite closes only those), and only
	 * over the methods this shim knows how to forward (the unix VFS's are version 3). */
	if (k->real->pMethods && k->real->pMethods->iVersion < 3) {
		k->real->pMethods->xClose(k->real);
		k->real->pMethods = NULL;
		rc = SQLITE_CANTOPEN;
	}
	k->base.pMethods = k->real->pMethods ? &keep_io : NULL;
	return rc;
}

static int k_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int k_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int k_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *k_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void k_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*k_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void k_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int k_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int k_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int k_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int k_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int k_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void keep_register(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs || real_vfs->iVersion < 2 || !real_vfs->xCurrentTimeInt64)
		return; /* keep_rc stays an error: connections use the default VFS */
	keep_vfs.iVersion = 2;
	keep_vfs.szOsFile = (int)sizeof(struct keep_file) + real_vfs->szOsFile;
	keep_vfs.mxPathname = real_vfs->mxPathname;
	keep_vfs.zName = KEEP_VFS_NAME;
	keep_vfs.xOpen = k_open;
	keep_vfs.xDelete = k_delete;
	keep_vfs.xAccess = k_access;
	keep_vfs.xFullPathname = k_full_pathname;
	keep_vfs.xDlOpen = k_dl_open;
	keep_vfs.xDlError = k_dl_error;
	keep_vfs.xDlSym = k_dl_sym;
	keep_vfs.xDlClose = k_dl_close;
	keep_vfs.xRandomness = k_randomness;
	keep_vfs.xSleep = k_sleep;
	keep_vfs.xCurrentTime = k_current_time;
	keep_vfs.xGetLastError = k_last_error;
	keep_vfs.xCurrentTimeInt64 = k_current_time_int64;
	keep_rc = sqlite3_vfs_register(&keep_vfs, 0);
}

const char *store_sqlite_vfs(void)
{
	pthread_once(&keep_once, keep_register);
	return keep_rc == SQLITE_OK ? KEEP_VFS_NAME : NULL;
}
