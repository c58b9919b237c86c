/*
 * The C floor of the verify benchmark (issue 10 §1): SHA-256 of every line's bytes (newline
 * excluded) of a ledger file, with OpenSSL's EVP interface, nothing else. What a verifier in C
 * could not beat on this machine; the bench prints verifyFile's time against it.
 *
 *   sha_lines <file>   prints {"count":N,"ns":T,"maxRssKB":K} (T: reading + hashing)
 *
 * Built by the bench on demand: cc -O2 -o <tmp>/sha_lines sha_lines.c -lcrypto
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sha_lines <file>\n");
    return 2;
  }
  long long t0 = now_ns();
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  /* One buffer, refilled by fread; a line that runs past its end is moved to the front first,
     and the buffer doubles if a single line is longer than it. */
  size_t cap = 1 << 20, len = 0;
  unsigned char *buf = malloc(cap);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  /* Fetched once: EVP_sha256() or SHA256() would look the algorithm up again on every line
     (OpenSSL 3), ~30% of the time at ~500-byte lines. */
  EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen;
  unsigned long long count = 0;
  unsigned char live = 0; /* keeps the digests observable */
  if (!buf || !ctx || !md) return 1;
  for (;;) {
    size_t got = fread(buf + len, 1, cap - len, f);
    if (got == 0) break;
    len += got;
    size_t start = 0;
    for (;;) {
      unsigned char *nl = memchr(buf + start, '\n', len - start);
      if (!nl) break;
      size_t end = (size_t)(nl - buf);
      if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, buf + start, end - start) || !EVP_DigestFinal_ex(ctx, digest, &dlen)) return 1;
      live ^= digest[7];
      count++;
      start = end + 1;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (!buf) return 1;
    }
  }
  if (ferror(f)) {
    perror(argv[1]);
    return 1;
  }
  fclose(f);
  long long ns = now_ns() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"count\":%llu,\"ns\":%lld,\"maxRssKB\":%ld,\"live\":%u}\n", count, ns, ru.ru_maxrss, live);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  free(buf);
  return 0;
}
