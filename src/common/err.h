/*
 * err.h - the one error convention of Banditore.
 *
 * Every function that can fail returns an int: 0 on success, a negative BANDITORE_E* code
 * on failure. Only the top layer (the CLI, the HTTP handlers) turns a code into a log line
 * or a message for a person; the layers below return codes and log nothing.
 */
#ifndef BANDITORE_ERR_H
#define BANDITORE_ERR_H

enum {
	BANDITORE_OK = 0,
	BANDITORE_ENOMEM = -1,     /* out of memory */
	BANDITORE_EINVAL = -2,     /* invalid argument or input */
	BANDITORE_EIO = -3,        /* file or socket error */
	BANDITORE_ESTORE = -4,     /* the database refused */
	BANDITORE_ENOTFOUND = -5,  /* no such row, key or file */
	BANDITORE_ECRYPTO = -6,    /* a cryptographic operation failed */
	BANDITORE_ETOOBIG = -7,    /* input over its limit */
	BANDITORE_EAUTH = -8,      /* signature or credential wrong */
	BANDITORE_EEXIST = -9,     /* already there */
	BANDITORE_ECONFIG = -10,   /* configuration is invalid */
	BANDITORE_ETEMP = -11,     /* temporary failure: try again later */
	BANDITORE_EPERM = -12,     /* permanent failure from a peer: do not retry */
	BANDITORE_ESTOPPED = -13,  /* the component is shutting down */
	BANDITORE_ESTATE = -14,    /* not allowed in the object's current state */
};

/* A short English description of `code` (static storage, never NULL). */
const char *banditore_strerror(int code);

#endif
