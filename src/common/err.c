/* err.c - descriptions of the BANDITORE_E* codes, for the top layer's messages. */
#include "common/err.h"

const char *banditore_strerror(int code)
{
	switch (code) {
	case BANDITORE_OK: return "success";
	case BANDITORE_ENOMEM: return "out of memory";
	case BANDITORE_EINVAL: return "invalid input";
	case BANDITORE_EIO: return "input/output error";
	case BANDITORE_ESTORE: return "database error";
	case BANDITORE_ENOTFOUND: return "not found";
	case BANDITORE_ECRYPTO: return "cryptographic error";
	case BANDITORE_ETOOBIG: return "input too large";
	case BANDITORE_EAUTH: return "authentication failed";
	case BANDITORE_EEXIST: return "already exists";
	case BANDITORE_ECONFIG: return "invalid configuration";
	case BANDITORE_ETEMP: return "temporary failure";
	case BANDITORE_EPERM: return "permanent failure";
	case BANDITORE_ESTOPPED: return "shutting down";
	case BANDITORE_ESTATE: return "not allowed in the current state";
	default: return "unknown error";
	}
}
