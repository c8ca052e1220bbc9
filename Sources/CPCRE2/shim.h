#ifndef CPCRE2_H
#define CPCRE2_H
/* PCRE2 with 8-bit code units, for lfd's detectors. */
#include <stdint.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Option and error values are macros Swift cannot always import. */
static inline uint32_t cpcre2_caseless(void) { return PCRE2_CASELESS; }
static inline uint32_t cpcre2_jit_complete(void) { return PCRE2_JIT_COMPLETE; }
static inline uint32_t cpcre2_info_namecount(void) { return PCRE2_INFO_NAMECOUNT; }
static inline uint32_t cpcre2_info_nameentrysize(void) { return PCRE2_INFO_NAMEENTRYSIZE; }
static inline uint32_t cpcre2_info_nametable(void) { return PCRE2_INFO_NAMETABLE; }

#endif
