/*
 * libkyso-fault: a PKCS#11 fault-injection wrapper around SoftHSM2.
 *
 * It dlopen()s the real module (KYSO_FAULT_REAL_MODULE, default SoftHSM2), forwards every
 * PKCS#11 2.40 function and injects the behaviour of real USB tokens that SoftHSM cannot
 * show: token removal, PIN retry counter and lockout, slow signing, signing failures,
 * CKA_ALWAYS_AUTHENTICATE keys and PIN-pad (protected authentication path) readers.
 *
 * Behaviour is driven by a key=value config file (KYSO_FAULT_CONFIG) that is re-read whenever
 * it changes, and by a state file (CONFIG.state) that persists counters across processes.
 * See README.md next to this file for the full semantics.
 *
 * Only C_GetFunctionList is exported; everything else is reached through the function list.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p11.h"

#define EXPORT __attribute__((visibility("default")))

#define FAULT_STR_MAX 256                /* max PIN / string value length + 1 */
#define FAULT_CFG_MAX (64 * 1024)        /* bytes of the config file that are read */
#define FAULT_STATE_MAX 4096             /* bytes of the state file that are read */
#define FAULT_MAX_DELAY_MS 600000UL      /* clamp for injected sleeps (10 minutes) */
#define FAULT_MAX_TRIES 1000UL
#define FAULT_WAIT_POLL_MS 50UL          /* C_WaitForSlotEvent polling interval */

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
  int present;                         /* present=0|1 (default 1) */
  unsigned long remove_after_signs;    /* 0 = off */
  unsigned long pin_max_tries;         /* default 3; 0 = never lock */
  int reset_pin;                       /* reset_pin=1: a config change resets the PIN counter */
  unsigned long sign_latency_ms;
  int fail_sign;
  CK_RV fail_sign_rv;                  /* fail_sign_rv=0x30 etc., default CKR_FUNCTION_FAILED */
  int always_authenticate;
  int protected_auth_path;
  int has_pad_pin;
  char pad_pin[FAULT_STR_MAX];
  unsigned long pad_delay_ms;
  int pad_cancel;
  int has_pin;
  char pin[FAULT_STR_MAX];
  int has_token_label;
  char token_label[33];
  int removable;                       /* -1 = leave SoftHSM's flag alone */
  int hide_uninitialized;
} fault_cfg;

/* Persistent state (CONFIG.state). */
typedef struct {
  uint64_t cfg;               /* hash of the config content last seen by any process */
  unsigned long signs;        /* successful signatures since that config was written */
  int removed;                /* sticky removal by remove_after_signs */
  uint64_t gen;               /* removal generation: changes on every removal event */
  unsigned long pin_failures; /* consecutive wrong user PINs */
} fault_state;

typedef struct {
  fault_cfg cfg;
  fault_state st;
  int present;
} fault_view;

enum { MUT_NONE, MUT_SIGN_OK, MUT_PIN_FAIL, MUT_PIN_OK };

typedef struct {
  CK_SESSION_HANDLE h;
  CK_SLOT_ID slot;
  int need_ctx; /* a signing operation on an always-authenticate key is active */
  int ctx_ok;   /* C_Login(CKU_CONTEXT_SPECIFIC) succeeded for that operation */
} fault_session;

/*
 * Locking:
 * - g_mu guards all wrapper state (config, state file access, session table). It is never held
 *   while a thread sleeps, and never acquired while g_rw is held for reading.
 * - g_rw protects the real sessions against being closed under a running call: every forwarded
 *   call that may touch a session runs under the read lock (REAL(...)); the simulated removal
 *   closes all real sessions under the write lock (SoftHSM frees a Session object in
 *   C_CloseAllSessions even while another thread is still using it).
 */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t g_rw = PTHREAD_RWLOCK_INITIALIZER;

#define REAL(call)                      \
  ({                                    \
    pthread_rwlock_rdlock(&g_rw);       \
    CK_RV real_rv_ = (call);            \
    pthread_rwlock_unlock(&g_rw);       \
    real_rv_;                           \
  })
static void *g_real_dl;
static CK_FUNCTION_LIST_PTR R; /* the real module's function list; NULL when not initialised */

static char g_cfg_path[PATH_MAX];
static char g_state_path[PATH_MAX + 8];
static int g_cfg_loaded;
static int g_cfg_exists;
static struct stat g_cfg_stat;
static uint64_t g_cfg_hash;
static fault_cfg g_cfg;
static char g_cfg_buf[FAULT_CFG_MAX + 1];

static fault_state g_mem_state; /* used when there is no (writable) state file */
static uint64_t g_seen_gen;
static int g_absent_closed;
static int g_evt_present;
static uint64_t g_evt_gen;
static int g_finalizing;
static unsigned g_waiters;

static fault_session *g_sess;
static size_t g_nsess;
static size_t g_capsess;

static int debug_enabled(void) {
  const char *d = getenv("KYSO_FAULT_DEBUG");
  return d != NULL && d[0] != '\0' && d[0] != '0';
}

static void logf_(const char *fmt, const char *a) {
  if (debug_enabled()) fprintf(stderr, fmt, a);
}

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void sleep_ms(unsigned long ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void cfg_defaults(fault_cfg *c) {
  memset(c, 0, sizeof *c);
  c->present = 1;
  c->pin_max_tries = 3;
  c->fail_sign_rv = CKR_FUNCTION_FAILED;
  c->removable = -1;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* Decimal, or hex with 0x prefix. Rejects signs, junk and values above max. */
static int parse_ul(const char *s, unsigned long max, unsigned long *out) {
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (*s == '\0') return 0;
  for (const char *p = s; *p; p++) {
    if (base == 10 ? !isdigit((unsigned char)*p) : !isxdigit((unsigned char)*p)) return 0;
  }
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, base);
  if (errno != 0 || end == NULL || *end != '\0' || v > max) return 0;
  *out = (unsigned long)v;
  return 1;
}

static int parse_bool(const char *s, int *out) {
  if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
    *out = 1;
    return 1;
  }
  if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
    *out = 0;
    return 1;
  }
  return 0;
}

static int parse_str(const char *s, char *dst, size_t cap) {
  size_t n = strlen(s);
  if (n >= cap) return 0;
  memcpy(dst, s, n + 1);
  return 1;
}

/* Invalid values leave the key at its default; unknown keys are ignored. */
static void cfg_apply(fault_cfg *c, const char *k, const char *v) {
  unsigned long u;
  int b;
  if (!strcmp(k, "present")) {
    if (parse_bool(v, &b)) c->present = b;
  } else if (!strcmp(k, "remove_after_signs")) {
    if (parse_ul(v, ULONG_MAX, &u)) c->remove_after_signs = u;
  } else if (!strcmp(k, "pin_max_tries")) {
    if (parse_ul(v, FAULT_MAX_TRIES, &u)) c->pin_max_tries = u;
  } else if (!strcmp(k, "reset_pin")) {
    if (parse_bool(v, &b)) c->reset_pin = b;
  } else if (!strcmp(k, "sign_latency_ms")) {
    if (parse_ul(v, FAULT_MAX_DELAY_MS, &u)) c->sign_latency_ms = u;
  } else if (!strcmp(k, "fail_sign")) {
    if (parse_bool(v, &b)) c->fail_sign = b;
  } else if (!strcmp(k, "fail_sign_rv")) {
    if (parse_ul(v, 0xFFFFFFFFUL, &u) && u != CKR_OK) c->fail_sign_rv = u;
  } else if (!strcmp(k, "always_authenticate")) {
    if (parse_bool(v, &b)) c->always_authenticate = b;
  } else if (!strcmp(k, "protected_auth_path")) {
    if (parse_bool(v, &b)) c->protected_auth_path = b;
  } else if (!strcmp(k, "pad_pin")) {
    if (parse_str(v, c->pad_pin, sizeof c->pad_pin)) c->has_pad_pin = 1;
  } else if (!strcmp(k, "pad_delay_ms")) {
    if (parse_ul(v, FAULT_MAX_DELAY_MS, &u)) c->pad_delay_ms = u;
  } else if (!strcmp(k, "pad_cancel")) {
    if (parse_bool(v, &b)) c->pad_cancel = b;
  } else if (!strcmp(k, "pin")) {
    if (parse_str(v, c->pin, sizeof c->pin)) c->has_pin = 1;
  } else if (!strcmp(k, "token_label")) {
    if (parse_str(v, c->token_label, sizeof c->token_label)) c->has_token_label = 1;
  } else if (!strcmp(k, "removable")) {
    if (parse_bool(v, &b)) c->removable = b;
  } else if (!strcmp(k, "hide_uninitialized")) {
    if (parse_bool(v, &b)) c->hide_uninitialized = b;
  }
}

static void cfg_parse(char *buf, fault_cfg *c) {
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *l = trim(line);
    if (*l == '\0' || *l == '#' || *l == ';') continue;
    char *eq = strchr(l, '=');
    if (eq == NULL) continue;
    *eq = '\0';
    cfg_apply(c, trim(l), trim(eq + 1));
  }
}

static int same_stat(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void cfg_set_missing(void) {
  cfg_defaults(&g_cfg);
  g_cfg_hash = fnv1a("", 0);
  g_cfg_exists = 0;
  g_cfg_loaded = 1;
}

/*
 * Re-read the config when its stat data changed. File timestamps are coarse (a few ms), so a
 * file modified within the last 2 s is always re-read ("racy" window, as git does) and the
 * content hash decides whether anything changed.
 */
static void cfg_refresh_locked(void) {
  if (g_cfg_path[0] == '\0') {
    if (!g_cfg_loaded) cfg_set_missing();
    return;
  }
  struct stat st;
  if (stat(g_cfg_path, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (!g_cfg_loaded || g_cfg_exists) cfg_set_missing();
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int racy = (now.tv_sec - st.st_mtim.tv_sec) <= 2;
  if (g_cfg_loaded && g_cfg_exists && !racy && same_stat(&st, &g_cfg_stat)) return;

  int fd = open(g_cfg_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (!g_cfg_loaded || g_cfg_exists) cfg_set_missing();
    return;
  }
  size_t len = 0;
  while (len < FAULT_CFG_MAX) {
    ssize_t n = read(fd, g_cfg_buf + len, FAULT_CFG_MAX - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  g_cfg_buf[len] = '\0';
  uint64_t h = fnv1a(g_cfg_buf, len);
  g_cfg_stat = st;
  if (g_cfg_loaded && g_cfg_exists && h == g_cfg_hash) return;
  fault_cfg c;
  cfg_defaults(&c);
  cfg_parse(g_cfg_buf, &c);
  g_cfg = c;
  g_cfg_hash = h;
  g_cfg_exists = 1;
  g_cfg_loaded = 1;
  logf_("kyso-fault: loaded config %s\n", g_cfg_path);
}

/* ------------------------------------------------------------------------------------------ */
/* Persistent state                                                                           */
/* ------------------------------------------------------------------------------------------ */

static void state_parse(char *buf, fault_state *s) {
  char *save = NULL;
  memset(s, 0, sizeof *s);
  for (char *line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *l = trim(line);
    char *eq = strchr(l, '=');
    if (eq == NULL || *l == '#') continue;
    *eq = '\0';
    char *k = trim(l);
    char *v = trim(eq + 1);
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, !strcmp(k, "cfg") || !strcmp(k, "gen") ? 16 : 10);
    if (errno != 0 || end == v || *end != '\0' || *v == '-') continue;
    if (!strcmp(k, "cfg")) s->cfg = x;
    else if (!strcmp(k, "gen")) s->gen = x;
    else if (!strcmp(k, "signs")) s->signs = (unsigned long)x;
    else if (!strcmp(k, "removed")) s->removed = x != 0;
    else if (!strcmp(k, "pin_failures")) s->pin_failures = x > FAULT_MAX_TRIES ? FAULT_MAX_TRIES : (unsigned long)x;
  }
}

static unsigned long tries_left(const fault_cfg *c, const fault_state *s) {
  if (c->pin_max_tries == 0) return ULONG_MAX;
  return s->pin_failures >= c->pin_max_tries ? 0 : c->pin_max_tries - s->pin_failures;
}

static int state_eq(const fault_state *a, const fault_state *b) {
  return a->cfg == b->cfg && a->signs == b->signs && a->removed == b->removed && a->gen == b->gen &&
         a->pin_failures == b->pin_failures;
}

static void state_write(int fd, const fault_state *s, const fault_cfg *c) {
  char buf[512];
  unsigned long left = tries_left(c, s);
  int n = snprintf(buf, sizeof buf,
                   "# kyso pkcs11-fault state (delete this file to reset)\n"
                   "cfg=%016llx\nsigns=%lu\nremoved=%d\ngen=%016llx\npin_failures=%lu\n"
                   "# derived, informational:\npresent=%d\npin_tries_left=%ld\n",
                   (unsigned long long)s->cfg, s->signs, s->removed, (unsigned long long)s->gen,
                   s->pin_failures, c->present && !s->removed,
                   left == ULONG_MAX ? -1L : (long)left);
  if (n <= 0 || (size_t)n >= sizeof buf) return;
  if (ftruncate(fd, 0) != 0) return;
  ssize_t w = pwrite(fd, buf, (size_t)n, 0);
  (void)w;
}

static uint64_t new_gen(uint64_t old) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t g = ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40);
  if (g == 0 || g == old) g = old + 1;
  if (g == 0) g = 1;
  return g;
}

static void sess_clear_all(void) { g_nsess = 0; }

/* Close every real session of this process (models the token being pulled: SoftHSM logs out). */
static void close_all_real_locked(void) {
  CK_ULONG n = 0;
  if (R != NULL && R->C_GetSlotList(CK_FALSE, NULL_PTR, &n) == CKR_OK && n > 0 && n < 65536) {
    CK_SLOT_ID *ids = calloc(n, sizeof *ids);
    if (ids != NULL && R->C_GetSlotList(CK_FALSE, ids, &n) == CKR_OK) {
      pthread_rwlock_wrlock(&g_rw);
      for (CK_ULONG i = 0; i < n; i++) R->C_CloseAllSessions(ids[i]);
      pthread_rwlock_unlock(&g_rw);
    }
    free(ids);
  }
  sess_clear_all();
}

/*
 * Refresh config + state, apply a mutation, persist, and apply process-local consequences
 * (closing the real sessions when the token is/was removed). Caller holds g_mu.
 */
static void sync_view_locked(fault_view *v, int mut) {
  cfg_refresh_locked();
  fault_state st;
  int fd = -1;
  int had_content = 0;
  if (g_state_path[0] != '\0') {
    fd = open(g_state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      char buf[FAULT_STATE_MAX + 1];
      ssize_t n = pread(fd, buf, FAULT_STATE_MAX, 0);
      if (n < 0) n = 0;
      buf[n] = '\0';
      had_content = n > 0;
      state_parse(buf, &st);
    }
  }
  if (fd < 0) st = g_mem_state;
  fault_state before = st;

  if (st.cfg != g_cfg_hash) {
    /* The config changed since any process last looked: a new scenario starts. */
    st.cfg = g_cfg_hash;
    st.signs = 0;
    st.removed = 0;
    if (!g_cfg.present) st.gen = new_gen(st.gen);
    if (g_cfg.reset_pin) st.pin_failures = 0;
  }
  switch (mut) {
    case MUT_SIGN_OK:
      if (st.signs < ULONG_MAX) st.signs++;
      if (g_cfg.remove_after_signs > 0 && st.signs >= g_cfg.remove_after_signs && !st.removed) {
        st.removed = 1;
        st.gen = new_gen(st.gen);
      }
      break;
    case MUT_PIN_FAIL:
      if (st.pin_failures < FAULT_MAX_TRIES) st.pin_failures++;
      break;
    case MUT_PIN_OK:
      st.pin_failures = 0;
      break;
    default:
      break;
  }

  if (fd >= 0) {
    if (!had_content || !state_eq(&st, &before)) state_write(fd, &st, &g_cfg);
    close(fd); /* releases the lock */
  } else {
    g_mem_state = st;
  }

  v->cfg = g_cfg;
  v->st = st;
  v->present = g_cfg.present && !st.removed;

  if (!v->present) {
    if (!g_absent_closed) {
      close_all_real_locked();
      g_absent_closed = 1;
    }
  } else {
    g_absent_closed = 0;
  }
  if (st.gen != g_seen_gen) {
    /* A removal happened (perhaps observed only by another process): old sessions are gone. */
    if (st.gen != 0) close_all_real_locked();
    g_seen_gen = st.gen;
  }
}

static void sync_mut(int mut) {
  fault_view v;
  pthread_mutex_lock(&g_mu);
  if (R != NULL) sync_view_locked(&v, mut);
  pthread_mutex_unlock(&g_mu);
}

/* ------------------------------------------------------------------------------------------ */
/* Session table                                                                              */
/* ------------------------------------------------------------------------------------------ */

static fault_session *sess_find(CK_SESSION_HANDLE h) {
  for (size_t i = 0; i < g_nsess; i++)
    if (g_sess[i].h == h) return &g_sess[i];
  return NULL;
}

static void sess_add(CK_SESSION_HANDLE h, CK_SLOT_ID slot) {
  fault_session *s = sess_find(h);
  if (s == NULL) {
    if (g_nsess == g_capsess) {
      size_t cap = g_capsess ? g_capsess * 2 : 16;
      fault_session *p = realloc(g_sess, cap * sizeof *p);
      if (p == NULL) return; /* the session just has no fault bookkeeping */
      g_sess = p;
      g_capsess = cap;
    }
    s = &g_sess[g_nsess++];
  }
  s->h = h;
  s->slot = slot;
  s->need_ctx = 0;
  s->ctx_ok = 0;
}

static void sess_del(CK_SESSION_HANDLE h) {
  for (size_t i = 0; i < g_nsess; i++) {
    if (g_sess[i].h == h) {
      g_sess[i] = g_sess[--g_nsess];
      return;
    }
  }
}

static void sess_del_slot(CK_SLOT_ID slot) {
  for (size_t i = 0; i < g_nsess;) {
    if (g_sess[i].slot == slot) g_sess[i] = g_sess[--g_nsess];
    else i++;
  }
}

static void sess_set(CK_SESSION_HANDLE h, int need_ctx, int ctx_ok) {
  pthread_mutex_lock(&g_mu);
  fault_session *s = sess_find(h);
  if (s != NULL) {
    s->need_ctx = need_ctx;
    s->ctx_ok = ctx_ok;
  }
  pthread_mutex_unlock(&g_mu);
}

/* ------------------------------------------------------------------------------------------ */
/* Gates                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static CK_RV gate(fault_view *v) {
  pthread_mutex_lock(&g_mu);
  if (R == NULL) {
    pthread_mutex_unlock(&g_mu);
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  sync_view_locked(v, MUT_NONE);
  pthread_mutex_unlock(&g_mu);
  return CKR_OK;
}

/* For functions taking a session handle: CKR_DEVICE_REMOVED while the token is out. */
static CK_RV gate_session(fault_view *v) {
  fault_view tmp;
  if (v == NULL) v = &tmp;
  CK_RV rv = gate(v);
  if (rv != CKR_OK) return rv;
  return v->present ? CKR_OK : CKR_DEVICE_REMOVED;
}

static int slot_hidden(const fault_view *v, CK_SLOT_ID slot) {
  if (!v->cfg.hide_uninitialized) return 0;
  CK_TOKEN_INFO ti;
  if (REAL(R->C_GetTokenInfo(slot, &ti)) != CKR_OK) return 1;
  return (ti.flags & CKF_TOKEN_INITIALIZED) == 0;
}

/* For slot-level functions: CKR_SLOT_ID_INVALID for hidden slots, CKR_TOKEN_NOT_PRESENT when out. */
static CK_RV gate_slot(fault_view *v, CK_SLOT_ID slot) {
  CK_RV rv = gate(v);
  if (rv != CKR_OK) return rv;
  if (slot_hidden(v, slot)) return CKR_SLOT_ID_INVALID;
  return v->present ? CKR_OK : CKR_TOKEN_NOT_PRESENT;
}

/* ------------------------------------------------------------------------------------------ */
/* Plain forwarders                                                                           */
/* ------------------------------------------------------------------------------------------ */

#define FWD_SESSION(name, params, args)        \
  static CK_RV w_##name params {               \
    CK_RV rv_ = gate_session(NULL);            \
    if (rv_ != CKR_OK) return rv_;             \
    return REAL(R->name args);                 \
  }

FWD_SESSION(C_GetSessionInfo, (CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo), (hSession, pInfo))
FWD_SESSION(C_GetOperationState,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen),
            (hSession, pOperationState, pulOperationStateLen))
FWD_SESSION(C_SetOperationState,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
             CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey),
            (hSession, pOperationState, ulOperationStateLen, hEncryptionKey, hAuthenticationKey))
FWD_SESSION(C_Logout, (CK_SESSION_HANDLE hSession), (hSession))
FWD_SESSION(C_CreateObject,
            (CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject),
            (hSession, pTemplate, ulCount, phObject))
FWD_SESSION(C_CopyObject,
            (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
             CK_OBJECT_HANDLE_PTR phNewObject),
            (hSession, hObject, pTemplate, ulCount, phNewObject))
FWD_SESSION(C_DestroyObject, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject), (hSession, hObject))
FWD_SESSION(C_GetObjectSize, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize),
            (hSession, hObject, pulSize))
FWD_SESSION(C_SetAttributeValue,
            (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount),
            (hSession, hObject, pTemplate, ulCount))
FWD_SESSION(C_FindObjectsInit, (CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount),
            (hSession, pTemplate, ulCount))
FWD_SESSION(C_FindObjects,
            (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
             CK_ULONG_PTR pulObjectCount),
            (hSession, phObject, ulMaxObjectCount, pulObjectCount))
FWD_SESSION(C_FindObjectsFinal, (CK_SESSION_HANDLE hSession), (hSession))
FWD_SESSION(C_EncryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey),
            (hSession, pMechanism, hKey))
FWD_SESSION(C_Encrypt,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
             CK_ULONG_PTR pulEncryptedDataLen),
            (hSession, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen))
FWD_SESSION(C_EncryptUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
             CK_ULONG_PTR pulEncryptedPartLen),
            (hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen))
FWD_SESSION(C_EncryptFinal,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen),
            (hSession, pLastEncryptedPart, pulLastEncryptedPartLen))
FWD_SESSION(C_DecryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey),
            (hSession, pMechanism, hKey))
FWD_SESSION(C_Decrypt,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData,
             CK_ULONG_PTR pulDataLen),
            (hSession, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen))
FWD_SESSION(C_DecryptUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
             CK_ULONG_PTR pulPartLen),
            (hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen))
FWD_SESSION(C_DecryptFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen),
            (hSession, pLastPart, pulLastPartLen))
FWD_SESSION(C_DigestInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism), (hSession, pMechanism))
FWD_SESSION(C_Digest,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
             CK_ULONG_PTR pulDigestLen),
            (hSession, pData, ulDataLen, pDigest, pulDigestLen))
FWD_SESSION(C_DigestUpdate, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen),
            (hSession, pPart, ulPartLen))
FWD_SESSION(C_DigestKey, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey), (hSession, hKey))
FWD_SESSION(C_DigestFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen),
            (hSession, pDigest, pulDigestLen))
FWD_SESSION(C_SignRecoverInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey),
            (hSession, pMechanism, hKey))
FWD_SESSION(C_SignRecover,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen),
            (hSession, pData, ulDataLen, pSignature, pulSignatureLen))
FWD_SESSION(C_VerifyInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey),
            (hSession, pMechanism, hKey))
FWD_SESSION(C_Verify,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG ulSignatureLen),
            (hSession, pData, ulDataLen, pSignature, ulSignatureLen))
FWD_SESSION(C_VerifyUpdate, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen),
            (hSession, pPart, ulPartLen))
FWD_SESSION(C_VerifyFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen),
            (hSession, pSignature, ulSignatureLen))
FWD_SESSION(C_VerifyRecoverInit,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey),
            (hSession, pMechanism, hKey))
FWD_SESSION(C_VerifyRecover,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
             CK_ULONG_PTR pulDataLen),
            (hSession, pSignature, ulSignatureLen, pData, pulDataLen))
FWD_SESSION(C_DigestEncryptUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
             CK_ULONG_PTR pulEncryptedPartLen),
            (hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen))
FWD_SESSION(C_DecryptDigestUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
             CK_ULONG_PTR pulPartLen),
            (hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen))
FWD_SESSION(C_SignEncryptUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
             CK_ULONG_PTR pulEncryptedPartLen),
            (hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen))
FWD_SESSION(C_DecryptVerifyUpdate,
            (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
             CK_ULONG_PTR pulPartLen),
            (hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen))
FWD_SESSION(C_GenerateKey,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
             CK_OBJECT_HANDLE_PTR phKey),
            (hSession, pMechanism, pTemplate, ulCount, phKey))
FWD_SESSION(C_GenerateKeyPair,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
             CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
             CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey),
            (hSession, pMechanism, pPublicKeyTemplate, ulPublicKeyAttributeCount, pPrivateKeyTemplate,
             ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey))
FWD_SESSION(C_WrapKey,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
             CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen),
            (hSession, pMechanism, hWrappingKey, hKey, pWrappedKey, pulWrappedKeyLen))
FWD_SESSION(C_UnwrapKey,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
             CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
             CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey),
            (hSession, pMechanism, hUnwrappingKey, pWrappedKey, ulWrappedKeyLen, pTemplate, ulAttributeCount, phKey))
FWD_SESSION(C_DeriveKey,
            (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
             CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey),
            (hSession, pMechanism, hBaseKey, pTemplate, ulAttributeCount, phKey))
FWD_SESSION(C_SeedRandom, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen),
            (hSession, pSeed, ulSeedLen))
FWD_SESSION(C_GenerateRandom, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen),
            (hSession, RandomData, ulRandomLen))
FWD_SESSION(C_GetFunctionStatus, (CK_SESSION_HANDLE hSession), (hSession))
FWD_SESSION(C_CancelFunction, (CK_SESSION_HANDLE hSession), (hSession))

/* ------------------------------------------------------------------------------------------ */
/* General purpose                                                                            */
/* ------------------------------------------------------------------------------------------ */

static const char *const k_default_modules[] = {
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    NULL,
};

static void *open_real_module(void) {
  const char *env = getenv("KYSO_FAULT_REAL_MODULE");
  if (env != NULL && env[0] != '\0') {
    void *h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) fprintf(stderr, "kyso-fault: cannot load %s: %s\n", env, dlerror());
    return h;
  }
  for (int i = 0; k_default_modules[i] != NULL; i++) {
    if (access(k_default_modules[i], R_OK) != 0) continue;
    void *h = dlopen(k_default_modules[i], RTLD_NOW | RTLD_LOCAL);
    if (h != NULL) return h;
    fprintf(stderr, "kyso-fault: cannot load %s: %s\n", k_default_modules[i], dlerror());
  }
  fprintf(stderr, "kyso-fault: no real PKCS#11 module found (set KYSO_FAULT_REAL_MODULE)\n");
  return NULL;
}

static void set_paths(void) {
  const char *cfg = getenv("KYSO_FAULT_CONFIG");
  const char *stp = getenv("KYSO_FAULT_STATE");
  g_cfg_path[0] = '\0';
  g_state_path[0] = '\0';
  if (cfg != NULL && cfg[0] != '\0' && strlen(cfg) < sizeof g_cfg_path) {
    memcpy(g_cfg_path, cfg, strlen(cfg) + 1);
    snprintf(g_state_path, sizeof g_state_path, "%s.state", g_cfg_path);
  }
  if (stp != NULL && stp[0] != '\0' && strlen(stp) < sizeof g_state_path) memcpy(g_state_path, stp, strlen(stp) + 1);
}

static void reset_globals_locked(void) {
  free(g_sess);
  g_sess = NULL;
  g_nsess = g_capsess = 0;
  g_cfg_loaded = g_cfg_exists = 0;
  memset(&g_cfg_stat, 0, sizeof g_cfg_stat);
  memset(&g_mem_state, 0, sizeof g_mem_state);
  g_seen_gen = 0;
  g_absent_closed = 0;
  g_evt_present = 1;
  g_evt_gen = 0;
  g_cfg_path[0] = g_state_path[0] = '\0';
}

static CK_RV w_C_Initialize(CK_VOID_PTR pInitArgs) {
  pthread_mutex_lock(&g_mu);
  if (R != NULL) {
    pthread_mutex_unlock(&g_mu);
    return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  }
  void *dl = open_real_module();
  if (dl == NULL) {
    pthread_mutex_unlock(&g_mu);
    return CKR_GENERAL_ERROR;
  }
  CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
  CK_FUNCTION_LIST_PTR real = NULL;
  if (gfl == NULL || gfl(&real) != CKR_OK || real == NULL) {
    fprintf(stderr, "kyso-fault: real module has no usable C_GetFunctionList\n");
    dlclose(dl);
    pthread_mutex_unlock(&g_mu);
    return CKR_GENERAL_ERROR;
  }
  CK_RV rv = real->C_Initialize(pInitArgs);
  if (rv != CKR_OK) {
    dlclose(dl);
    pthread_mutex_unlock(&g_mu);
    return rv;
  }
  reset_globals_locked();
  g_real_dl = dl;
  R = real;
  g_finalizing = 0;
  set_paths();
  fault_view v;
  sync_view_locked(&v, MUT_NONE);
  g_evt_present = v.present;
  g_evt_gen = v.st.gen;
  pthread_mutex_unlock(&g_mu);
  return CKR_OK;
}

static CK_RV w_C_Finalize(CK_VOID_PTR pReserved) {
  pthread_mutex_lock(&g_mu);
  if (R == NULL) {
    pthread_mutex_unlock(&g_mu);
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  if (pReserved != NULL_PTR) {
    pthread_mutex_unlock(&g_mu);
    return CKR_ARGUMENTS_BAD;
  }
  g_finalizing = 1; /* wakes threads blocked in C_WaitForSlotEvent */
  while (g_waiters > 0) {
    pthread_mutex_unlock(&g_mu);
    sleep_ms(5);
    pthread_mutex_lock(&g_mu);
  }
  CK_RV rv = R->C_Finalize(pReserved);
  if (rv != CKR_OK) {
    g_finalizing = 0;
    pthread_mutex_unlock(&g_mu);
    return rv;
  }
  R = NULL;
  dlclose(g_real_dl);
  g_real_dl = NULL;
  reset_globals_locked();
  g_finalizing = 0;
  pthread_mutex_unlock(&g_mu);
  return CKR_OK;
}

static CK_RV w_C_GetInfo(CK_INFO_PTR pInfo) {
  if (R == NULL) return CKR_CRYPTOKI_NOT_INITIALIZED;
  return R->C_GetInfo(pInfo);
}

static CK_RV w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);

/* ------------------------------------------------------------------------------------------ */
/* Slot and token management                                                                  */
/* ------------------------------------------------------------------------------------------ */

static CK_RV w_C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  if (pulCount == NULL_PTR) return CKR_ARGUMENTS_BAD;
  fault_view v;
  CK_RV rv = gate(&v);
  if (rv != CKR_OK) return rv;

  CK_SLOT_ID *ids = NULL;
  CK_ULONG n = 0;
  for (int attempt = 0; attempt < 4; attempt++) {
    rv = REAL(R->C_GetSlotList(tokenPresent, NULL_PTR, &n));
    if (rv != CKR_OK) return rv;
    free(ids);
    ids = calloc(n ? n : 1, sizeof *ids);
    if (ids == NULL) return CKR_HOST_MEMORY;
    rv = REAL(R->C_GetSlotList(tokenPresent, ids, &n));
    if (rv != CKR_BUFFER_TOO_SMALL) break;
  }
  if (rv != CKR_OK) {
    free(ids);
    return rv;
  }
  CK_ULONG k = 0;
  for (CK_ULONG i = 0; i < n; i++) {
    if (tokenPresent && !v.present) continue; /* token pulled out: no slot has a token */
    if (slot_hidden(&v, ids[i])) continue;
    ids[k++] = ids[i];
  }
  if (pSlotList == NULL_PTR) {
    *pulCount = k;
    rv = CKR_OK;
  } else if (*pulCount < k) {
    *pulCount = k;
    rv = CKR_BUFFER_TOO_SMALL;
  } else {
    if (k > 0) memcpy(pSlotList, ids, k * sizeof *ids);
    *pulCount = k;
    rv = CKR_OK;
  }
  free(ids);
  return rv;
}

static CK_RV w_C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  fault_view v;
  CK_RV rv = gate(&v);
  if (rv != CKR_OK) return rv;
  if (slot_hidden(&v, slotID)) return CKR_SLOT_ID_INVALID;
  rv = REAL(R->C_GetSlotInfo(slotID, pInfo));
  if (rv != CKR_OK) return rv;
  if (!v.present) pInfo->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
  if (v.cfg.removable == 1) pInfo->flags |= CKF_REMOVABLE_DEVICE;
  else if (v.cfg.removable == 0) pInfo->flags &= ~(CK_FLAGS)CKF_REMOVABLE_DEVICE;
  return CKR_OK;
}

static void set_label(CK_UTF8CHAR label[32], const char *s) {
  size_t n = strlen(s);
  if (n > 32) {
    n = 32;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* do not split a UTF-8 sequence */
  }
  memset(label, ' ', 32);
  memcpy(label, s, n);
}

static CK_RV w_C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  fault_view v;
  CK_RV rv = gate(&v);
  if (rv != CKR_OK) return rv;
  if (slot_hidden(&v, slotID)) return CKR_SLOT_ID_INVALID;
  rv = REAL(R->C_GetTokenInfo(slotID, pInfo));
  if (rv != CKR_OK) return rv;
  if (!v.present) return CKR_TOKEN_NOT_PRESENT;
  if (pInfo->flags & CKF_TOKEN_INITIALIZED) {
    /* SoftHSM persists its own COUNT_LOW and never locks: replace with the wrapper's counter. */
    pInfo->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
    unsigned long left = tries_left(&v.cfg, &v.st);
    if (v.st.pin_failures > 0) pInfo->flags |= CKF_USER_PIN_COUNT_LOW;
    if (left == 1) pInfo->flags |= CKF_USER_PIN_FINAL_TRY;
    if (left == 0) pInfo->flags |= CKF_USER_PIN_LOCKED;
    if (v.cfg.protected_auth_path) pInfo->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
    if (v.cfg.has_token_label) set_label(pInfo->label, v.cfg.token_label);
  }
  return CKR_OK;
}

static CK_RV w_C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  fault_view v;
  CK_RV rv = gate_slot(&v, slotID);
  if (rv != CKR_OK) return rv;
  return REAL(R->C_GetMechanismList(slotID, pMechanismList, pulCount));
}

static CK_RV w_C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  fault_view v;
  CK_RV rv = gate_slot(&v, slotID);
  if (rv != CKR_OK) return rv;
  return REAL(R->C_GetMechanismInfo(slotID, type, pInfo));
}

static CK_RV w_C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  fault_view v;
  CK_RV rv = gate_slot(&v, slotID);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_InitToken(slotID, pPin, ulPinLen, pLabel));
  if (rv == CKR_OK) sync_mut(MUT_PIN_OK);
  return rv;
}

static CK_RV w_C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  CK_RV rv = gate_session(NULL);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_InitPIN(hSession, pPin, ulPinLen));
  if (rv == CKR_OK) sync_mut(MUT_PIN_OK); /* the SO unblocks the user PIN */
  return rv;
}

static int session_is_so(CK_SESSION_HANDLE h) {
  CK_SESSION_INFO si;
  return REAL(R->C_GetSessionInfo(h, &si)) == CKR_OK && si.state == CKS_RW_SO_FUNCTIONS;
}

static CK_RV w_C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
                        CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  int so = session_is_so(hSession);
  if (!so && tries_left(&v.cfg, &v.st) == 0) return CKR_PIN_LOCKED;
  rv = REAL(R->C_SetPIN(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen));
  if (!so && rv == CKR_PIN_INCORRECT) sync_mut(MUT_PIN_FAIL);
  else if (!so && rv == CKR_OK) sync_mut(MUT_PIN_OK);
  return rv;
}

/* ------------------------------------------------------------------------------------------ */
/* Session management                                                                         */
/* ------------------------------------------------------------------------------------------ */

static CK_RV w_C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                             CK_SESSION_HANDLE_PTR phSession) {
  fault_view v;
  CK_RV rv = gate_slot(&v, slotID);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_OpenSession(slotID, flags, pApplication, Notify, phSession));
  if (rv == CKR_OK) {
    pthread_mutex_lock(&g_mu);
    sess_add(*phSession, slotID);
    pthread_mutex_unlock(&g_mu);
  }
  return rv;
}

static CK_RV w_C_CloseSession(CK_SESSION_HANDLE hSession) {
  fault_view v;
  CK_RV rv = gate(&v);
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&g_mu);
  sess_del(hSession);
  pthread_mutex_unlock(&g_mu);
  if (!v.present) return CKR_DEVICE_REMOVED; /* the real session is already gone */
  return REAL(R->C_CloseSession(hSession));
}

static CK_RV w_C_CloseAllSessions(CK_SLOT_ID slotID) {
  fault_view v;
  CK_RV rv = gate(&v);
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&g_mu);
  sess_del_slot(slotID);
  pthread_mutex_unlock(&g_mu);
  return REAL(R->C_CloseAllSessions(slotID));
}

/*
 * Verify a PIN for CKU_CONTEXT_SPECIFIC without disturbing the session's login state:
 * - if the config has pin=..., compare with it;
 * - otherwise ask the real module: C_SetPIN(pin, pin) on a temporary R/W session. SoftHSM checks
 *   the old PIN against the token and returns CKR_PIN_INCORRECT if wrong; when right it re-wraps
 *   the token key under the same PIN (a harmless rewrite of the token's PIN blob) and keeps the
 *   user logged in.
 */
static CK_RV verify_pin(CK_SESSION_HANDLE h, const fault_view *v, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  if (v->cfg.has_pin) {
    size_t n = strlen(v->cfg.pin);
    if (pin == NULL_PTR || len != n) return CKR_PIN_INCORRECT;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(pin[i] ^ (unsigned char)v->cfg.pin[i]);
    return diff == 0 ? CKR_OK : CKR_PIN_INCORRECT;
  }
  if (pin == NULL_PTR) return CKR_ARGUMENTS_BAD;
  CK_SESSION_INFO si;
  CK_RV rv = REAL(R->C_GetSessionInfo(h, &si));
  if (rv != CKR_OK) return rv;
  CK_SESSION_HANDLE tmp = CK_INVALID_HANDLE;
  rv = REAL(R->C_OpenSession(si.slotID, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL_PTR, NULL_PTR, &tmp));
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_SetPIN(tmp, pin, len, pin, len));
  REAL(R->C_CloseSession(tmp)); /* h stays open, so this does not log the token out */
  if (rv == CKR_PIN_LEN_RANGE) rv = CKR_PIN_INCORRECT;
  return rv;
}

static CK_RV w_C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  int user = userType == CKU_USER || userType == CKU_CONTEXT_SPECIFIC;
  char padbuf[FAULT_STR_MAX];

  /* A locked PIN is refused without asking the real module, even for the right PIN. */
  if (user && tries_left(&v.cfg, &v.st) == 0) return CKR_PIN_LOCKED;

  if (user && v.cfg.protected_auth_path && (pPin == NULL_PTR || ulPinLen == 0)) {
    /* PIN-pad reader: the "user" types the PIN on the device. */
    if (v.cfg.pad_delay_ms) sleep_ms(v.cfg.pad_delay_ms);
    rv = gate_session(&v); /* the token may have been pulled out meanwhile */
    if (rv != CKR_OK) return rv;
    if (v.cfg.pad_cancel) return CKR_FUNCTION_CANCELED;
    if (v.cfg.has_pad_pin) memcpy(padbuf, v.cfg.pad_pin, sizeof padbuf);
    else if (v.cfg.has_pin) memcpy(padbuf, v.cfg.pin, sizeof padbuf);
    else return CKR_FUNCTION_CANCELED;
    pPin = (CK_UTF8CHAR_PTR)padbuf;
    ulPinLen = (CK_ULONG)strlen(padbuf);
  }

  if (userType == CKU_CONTEXT_SPECIFIC && v.cfg.always_authenticate) {
    pthread_mutex_lock(&g_mu);
    fault_session *s = sess_find(hSession);
    int pending = s != NULL && s->need_ctx;
    pthread_mutex_unlock(&g_mu);
    if (!pending) return CKR_OPERATION_NOT_INITIALIZED;
    rv = verify_pin(hSession, &v, pPin, ulPinLen);
    if (rv == CKR_OK) {
      sess_set(hSession, 1, 1);
      sync_mut(MUT_PIN_OK);
    } else if (rv == CKR_PIN_INCORRECT) {
      sync_mut(MUT_PIN_FAIL);
    }
    return rv;
  }

  rv = REAL(R->C_Login(hSession, userType, pPin, ulPinLen));
  if (user) {
    if (rv == CKR_PIN_INCORRECT) sync_mut(MUT_PIN_FAIL);
    else if (rv == CKR_OK) sync_mut(MUT_PIN_OK);
  }
  return rv;
}

/* ------------------------------------------------------------------------------------------ */
/* Objects                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int is_private_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o) {
  CK_OBJECT_CLASS cls = (CK_OBJECT_CLASS)-1;
  CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};
  return REAL(R->C_GetAttributeValue(h, o, &a, 1)) == CKR_OK && cls == CKO_PRIVATE_KEY;
}

static CK_RV w_C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                   CK_ULONG ulCount) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_GetAttributeValue(hSession, hObject, pTemplate, ulCount));
  if (!v.cfg.always_authenticate || pTemplate == NULL_PTR) return rv;
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
      rv != CKR_BUFFER_TOO_SMALL)
    return rv;
  int priv = -1;
  for (CK_ULONG i = 0; i < ulCount; i++) {
    if (pTemplate[i].type != CKA_ALWAYS_AUTHENTICATE) continue;
    if (priv < 0) priv = is_private_key(hSession, hObject);
    if (!priv) continue;
    if (pTemplate[i].pValue == NULL_PTR) {
      pTemplate[i].ulValueLen = sizeof(CK_BBOOL);
    } else if (pTemplate[i].ulValueLen >= sizeof(CK_BBOOL)) {
      *(CK_BBOOL *)pTemplate[i].pValue = CK_TRUE;
      pTemplate[i].ulValueLen = sizeof(CK_BBOOL);
    } else {
      pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      if (rv == CKR_OK) rv = CKR_BUFFER_TOO_SMALL;
    }
  }
  return rv;
}

/* ------------------------------------------------------------------------------------------ */
/* Signing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* End the real single-part operation (a failing C_Sign terminates it on real tokens). */
static void abort_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len) {
  CK_ULONG n = 0;
  if (REAL(R->C_Sign(h, data, len, NULL_PTR, &n)) != CKR_OK) return; /* already terminated */
  CK_BYTE *buf = malloc(n ? n : 1);
  if (buf == NULL) return;
  REAL(R->C_Sign(h, data, len, buf, &n));
  free(buf);
}

static void abort_sign_final(CK_SESSION_HANDLE h) {
  CK_ULONG n = 0;
  if (REAL(R->C_SignFinal(h, NULL_PTR, &n)) != CKR_OK) return;
  CK_BYTE *buf = malloc(n ? n : 1);
  if (buf == NULL) return;
  REAL(R->C_SignFinal(h, buf, &n));
  free(buf);
}

static int needs_context_login(CK_SESSION_HANDLE h) {
  pthread_mutex_lock(&g_mu);
  fault_session *s = sess_find(h);
  int need = s != NULL && s->need_ctx && !s->ctx_ok;
  pthread_mutex_unlock(&g_mu);
  return need;
}

static CK_RV w_C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_SignInit(hSession, pMechanism, hKey));
  if (rv == CKR_OK) {
    int need = pMechanism != NULL_PTR && v.cfg.always_authenticate && is_private_key(hSession, hKey);
    sess_set(hSession, need, 0);
  }
  return rv;
}

/*
 * Common pre-flight for C_Sign / C_SignFinal (not for length queries): context login check,
 * injected latency, re-check for removal during the latency, injected failure.
 * Returns CKR_OK to go on with the real call; otherwise the real operation has been ended.
 */
static CK_RV sign_preflight(CK_SESSION_HANDLE h, fault_view *v, int final, CK_BYTE_PTR data, CK_ULONG len) {
  if (needs_context_login(h)) {
    if (final) abort_sign_final(h);
    else abort_sign(h, data, len);
    sess_set(h, 0, 0);
    return CKR_USER_NOT_LOGGED_IN;
  }
  if (v->cfg.sign_latency_ms) {
    sleep_ms(v->cfg.sign_latency_ms);
    CK_RV rv = gate_session(v);
    if (rv != CKR_OK) return rv; /* pulled out while "signing"; real sessions already closed */
  }
  if (v->cfg.fail_sign) {
    if (final) abort_sign_final(h);
    else abort_sign(h, data, len);
    sess_set(h, 0, 0);
    return v->cfg.fail_sign_rv;
  }
  return CKR_OK;
}

static void sign_done(CK_SESSION_HANDLE h, CK_RV rv) {
  if (rv == CKR_BUFFER_TOO_SMALL) return; /* operation still active */
  sess_set(h, 0, 0);                      /* one context login authorises exactly one signature */
  if (rv == CKR_OK) sync_mut(MUT_SIGN_OK);
}

static CK_RV w_C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG_PTR pulSignatureLen) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  if (pSignature == NULL_PTR) return REAL(R->C_Sign(hSession, pData, ulDataLen, pSignature, pulSignatureLen));
  rv = sign_preflight(hSession, &v, 0, pData, ulDataLen);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_Sign(hSession, pData, ulDataLen, pSignature, pulSignatureLen));
  sign_done(hSession, rv);
  return rv;
}

static CK_RV w_C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  CK_RV rv = gate_session(NULL);
  if (rv != CKR_OK) return rv;
  if (needs_context_login(hSession)) {
    abort_sign_final(hSession);
    sess_set(hSession, 0, 0);
    return CKR_USER_NOT_LOGGED_IN;
  }
  rv = REAL(R->C_SignUpdate(hSession, pPart, ulPartLen));
  if (rv != CKR_OK) sess_set(hSession, 0, 0);
  return rv;
}

static CK_RV w_C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  fault_view v;
  CK_RV rv = gate_session(&v);
  if (rv != CKR_OK) return rv;
  if (pSignature == NULL_PTR) return REAL(R->C_SignFinal(hSession, pSignature, pulSignatureLen));
  rv = sign_preflight(hSession, &v, 1, NULL_PTR, 0);
  if (rv != CKR_OK) return rv;
  rv = REAL(R->C_SignFinal(hSession, pSignature, pulSignatureLen));
  sign_done(hSession, rv);
  return rv;
}

/* ------------------------------------------------------------------------------------------ */
/* Slot events (SoftHSM has none; the wrapper reports its own insert/remove events)            */
/* ------------------------------------------------------------------------------------------ */

static CK_SLOT_ID event_slot_locked(void) {
  CK_SLOT_ID first = 0, chosen = 0;
  int have_first = 0, have_chosen = 0;
  CK_ULONG n = 0;
  if (R->C_GetSlotList(CK_FALSE, NULL_PTR, &n) == CKR_OK && n > 0 && n < 65536) {
    CK_SLOT_ID *ids = calloc(n, sizeof *ids);
    if (ids != NULL && R->C_GetSlotList(CK_FALSE, ids, &n) == CKR_OK) {
      for (CK_ULONG i = 0; i < n && !have_chosen; i++) {
        CK_TOKEN_INFO ti;
        if (!have_first) {
          first = ids[i];
          have_first = 1;
        }
        if (R->C_GetTokenInfo(ids[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED)) {
          chosen = ids[i];
          have_chosen = 1;
        }
      }
    }
    free(ids);
  }
  return have_chosen ? chosen : first;
}

static CK_RV w_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved) {
  if (pSlot == NULL_PTR || pReserved != NULL_PTR) return R == NULL ? CKR_CRYPTOKI_NOT_INITIALIZED : CKR_ARGUMENTS_BAD;
  pthread_mutex_lock(&g_mu);
  if (R == NULL || g_finalizing) {
    pthread_mutex_unlock(&g_mu);
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  g_waiters++;
  for (;;) {
    if (g_finalizing) {
      g_waiters--;
      pthread_mutex_unlock(&g_mu);
      return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    fault_view v;
    sync_view_locked(&v, MUT_NONE);
    int removal_missed = v.st.gen != g_evt_gen && v.st.gen != 0 && v.present && g_evt_present;
    if (v.present != g_evt_present || removal_missed) {
      /* A remove+reinsert that happened between two polls is reported as one event. */
      g_evt_present = v.present;
      g_evt_gen = v.st.gen;
      *pSlot = event_slot_locked();
      g_waiters--;
      pthread_mutex_unlock(&g_mu);
      return CKR_OK;
    }
    g_evt_gen = v.st.gen;
    if (flags & CKF_DONT_BLOCK) {
      g_waiters--;
      pthread_mutex_unlock(&g_mu);
      return CKR_NO_EVENT;
    }
    pthread_mutex_unlock(&g_mu);
    sleep_ms(FAULT_WAIT_POLL_MS);
    pthread_mutex_lock(&g_mu);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Function list                                                                              */
/* ------------------------------------------------------------------------------------------ */

static CK_FUNCTION_LIST g_list = {
    .version = {2, 40},
    .C_Initialize = w_C_Initialize,
    .C_Finalize = w_C_Finalize,
    .C_GetInfo = w_C_GetInfo,
    .C_GetFunctionList = w_C_GetFunctionList,
    .C_GetSlotList = w_C_GetSlotList,
    .C_GetSlotInfo = w_C_GetSlotInfo,
    .C_GetTokenInfo = w_C_GetTokenInfo,
    .C_GetMechanismList = w_C_GetMechanismList,
    .C_GetMechanismInfo = w_C_GetMechanismInfo,
    .C_InitToken = w_C_InitToken,
    .C_InitPIN = w_C_InitPIN,
    .C_SetPIN = w_C_SetPIN,
    .C_OpenSession = w_C_OpenSession,
    .C_CloseSession = w_C_CloseSession,
    .C_CloseAllSessions = w_C_CloseAllSessions,
    .C_GetSessionInfo = w_C_GetSessionInfo,
    .C_GetOperationState = w_C_GetOperationState,
    .C_SetOperationState = w_C_SetOperationState,
    .C_Login = w_C_Login,
    .C_Logout = w_C_Logout,
    .C_CreateObject = w_C_CreateObject,
    .C_CopyObject = w_C_CopyObject,
    .C_DestroyObject = w_C_DestroyObject,
    .C_GetObjectSize = w_C_GetObjectSize,
    .C_GetAttributeValue = w_C_GetAttributeValue,
    .C_SetAttributeValue = w_C_SetAttributeValue,
    .C_FindObjectsInit = w_C_FindObjectsInit,
    .C_FindObjects = w_C_FindObjects,
    .C_FindObjectsFinal = w_C_FindObjectsFinal,
    .C_EncryptInit = w_C_EncryptInit,
    .C_Encrypt = w_C_Encrypt,
    .C_EncryptUpdate = w_C_EncryptUpdate,
    .C_EncryptFinal = w_C_EncryptFinal,
    .C_DecryptInit = w_C_DecryptInit,
    .C_Decrypt = w_C_Decrypt,
    .C_DecryptUpdate = w_C_DecryptUpdate,
    .C_DecryptFinal = w_C_DecryptFinal,
    .C_DigestInit = w_C_DigestInit,
    .C_Digest = w_C_Digest,
    .C_DigestUpdate = w_C_DigestUpdate,
    .C_DigestKey = w_C_DigestKey,
    .C_DigestFinal = w_C_DigestFinal,
    .C_SignInit = w_C_SignInit,
    .C_Sign = w_C_Sign,
    .C_SignUpdate = w_C_SignUpdate,
    .C_SignFinal = w_C_SignFinal,
    .C_SignRecoverInit = w_C_SignRecoverInit,
    .C_SignRecover = w_C_SignRecover,
    .C_VerifyInit = w_C_VerifyInit,
    .C_Verify = w_C_Verify,
    .C_VerifyUpdate = w_C_VerifyUpdate,
    .C_VerifyFinal = w_C_VerifyFinal,
    .C_VerifyRecoverInit = w_C_VerifyRecoverInit,
    .C_VerifyRecover = w_C_VerifyRecover,
    .C_DigestEncryptUpdate = w_C_DigestEncryptUpdate,
    .C_DecryptDigestUpdate = w_C_DecryptDigestUpdate,
    .C_SignEncryptUpdate = w_C_SignEncryptUpdate,
    .C_DecryptVerifyUpdate = w_C_DecryptVerifyUpdate,
    .C_GenerateKey = w_C_GenerateKey,
    .C_GenerateKeyPair = w_C_GenerateKeyPair,
    .C_WrapKey = w_C_WrapKey,
    .C_UnwrapKey = w_C_UnwrapKey,
    .C_DeriveKey = w_C_DeriveKey,
    .C_SeedRandom = w_C_SeedRandom,
    .C_GenerateRandom = w_C_GenerateRandom,
    .C_GetFunctionStatus = w_C_GetFunctionStatus,
    .C_CancelFunction = w_C_CancelFunction,
    .C_WaitForSlotEvent = w_C_WaitForSlotEvent,
};

static CK_RV w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  if (ppFunctionList == NULL_PTR) return CKR_ARGUMENTS_BAD;
  *ppFunctionList = &g_list;
  return CKR_OK;
}

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) { return w_C_GetFunctionList(ppFunctionList); }
