#ifndef CCRYPTO_H
#define CCRYPTO_H
/* OpenSSL's libcrypto: the digests lfd compares with the package manager's (dpkg: MD5, rpm: SHA-256); csf-ui's
   scrypt password hashes, random tokens and its self-signed certificate. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

/* EVP_EC_gen is a macro over a variadic function, neither of which Swift can call. */
static inline EVP_PKEY *ccrypto_p256_key(void) { return EVP_EC_gen("P-256"); }
/* BIO_get_mem_data is a macro. */
static inline long ccrypto_bio_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
#endif
