#ifndef CCRYPTO_H
#define CCRYPTO_H
/* OpenSSL's libcrypto, for the digests lfd compares with the package manager's (dpkg: MD5, rpm: SHA-256). */
#include <openssl/evp.h>
#endif
