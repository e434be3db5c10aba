/* The libuv peer of benchmarks B1-B3 (see docs/06-benchmarks.md): the same workloads as
 * bench_core.cpp, in C on Debian's libuv, printing the same JSON lines (peer "libuv").
 *
 *   bench_uv <B1|B2|B3> uv [--n N] [--reps R] [--warmup-n N] [--chains C]
 *            [--warmup-pings P] [--idle-us U] [--span S] [--seed X] [--pending K]
 *
 * B2 --pending K: the N timers run in batches of K pending at once, as in bench_core.
 *
 * libuv has no call_soon: B1 queues cancellable handles in a ring drained by a uv_idle_t
 * handle, the way uvloop runs call_soon on libuv. B2 uses one uv_timer_t per timer (millisecond
 * resolution), B3 a uv_async_t woken from the producer thread. */
#define _GNU_SOURCE
#include <uv.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- measuring */

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static int64_t now_ns(void) {
  return clock_ns(CLOCK_MONOTONIC);
}
static int64_t cpu_ns(void) {
  return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

typedef struct {
  long n;
  double wall_s, cpu_s, p50_us, p99_us;
  bool ok;
} Sample;

typedef struct {
  const char* bench;
  long n, warmup_n, chains, warmup_pings, idle_us, reps;
  double span;
  uint64_t seed;
  long pending; /* B2: timers per batch; 0: all n at once */
} Options;

static void die(const char* what, int err) {
  fprintf(stderr, "bench_uv: %s: %s\n", what, err ? uv_strerror(err) : "failed");
  exit(2);
}

static void check_uv(int rc, const char* what) {
  if (rc < 0) die(what, rc);
}

static Sample timed(int64_t wall0, int64_t cpu0, long n, bool ok) {
  Sample s = {n, (now_ns() - wall0) * 1e-9, (cpu_ns() - cpu0) * 1e-9, 0, 0, ok};
  return s;
}

/* Closes every handle still open, so the loop can be closed. */
static void close_walk(uv_handle_t* h, void* arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void loop_close(uv_loop_t* loop) {
  uv_walk(loop, close_walk, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  check_uv(uv_loop_close(loop), "uv_loop_close");
}

/* ---------------------------------------------------------------- B1: call_soon chains */

typedef struct B1State B1State;
typedef void (*Callback)(B1State*, void*);

/* What call_soon returns in asyncio: a handle holding the callback and its argument, which
 * can be cancelled until it runs. Handles come from a free list, as asyncio-cpp's pool. */
typedef struct Handle {
  Callback cb;
  void* arg;
  bool cancelled;
  struct Handle* next_free;
} Handle;

static void on_idle(uv_idle_t* idle);

/* A ring of ready handles, drained by an idle handle: each turn runs the handles that were
 * queued when it began (those they queue run on the next turn), as asyncio does. */
struct B1State {
  uv_idle_t idle;
  Handle** ring;
  size_t cap, head, size;
  Handle* free_list;
  long total, scheduled, ran;
};

static Handle* new_handle(B1State* s) {
  Handle* h = s->free_list;
  if (h != NULL) {
    s->free_list = h->next_free;
    return h;
  }
  return malloc(sizeof *h);
}

static void free_handles(B1State* s) {
  while (s->free_list != NULL) {
    Handle* h = s->free_list;
    s->free_list = h->next_free;
    free(h);
  }
}

static Handle* call_soon(B1State* s, Callback cb, void* arg) {
  if (s->size == s->cap) {
    Handle** bigger = malloc(2 * s->cap * sizeof *bigger);
    for (size_t i = 0; i < s->size; ++i) bigger[i] = s->ring[(s->head + i) % s->cap];
    free(s->ring);
    s->ring = bigger;
    s->head = 0;
    s->cap *= 2;
  }
  Handle* h = new_handle(s);
  h->cb = cb;
  h->arg = arg;
  h->cancelled = false;
  s->ring[(s->head + s->size) % s->cap] = h;
  if (s->size++ == 0) uv_idle_start(&s->idle, on_idle);
  return h;
}

static void on_idle(uv_idle_t* idle) {
  B1State* s = idle->data;
  for (size_t batch = s->size; batch > 0; --batch) {
    Handle* h = s->ring[s->head];
    s->head = (s->head + 1) % s->cap;
    --s->size;
    if (!h->cancelled) h->cb(s, h->arg);
    h->next_free = s->free_list;
    s->free_list = h;
  }
  if (s->size == 0) uv_idle_stop(idle);
}

static bool take(B1State* s) {
  return s->scheduled < s->total ? (++s->scheduled, true) : false;
}

static void step(B1State* s, void* arg) {
  if (take(s)) call_soon(s, step, arg);
  ++s->ran;
}

static Sample b1(const Options* o, long n) {
  uv_loop_t loop;
  check_uv(uv_loop_init(&loop), "uv_loop_init");
  B1State s = {.cap = 1024, .total = n};
  s.ring = malloc(s.cap * sizeof *s.ring);
  check_uv(uv_idle_init(&loop, &s.idle), "uv_idle_init");
  s.idle.data = &s;
  int64_t wall0 = now_ns(), cpu0 = cpu_ns();
  for (long i = 0; i < o->chains && take(&s); ++i) call_soon(&s, step, NULL);
  uv_run(&loop, UV_RUN_DEFAULT); /* returns once the idle handle stops: nothing is queued */
  Sample r = timed(wall0, cpu0, n, s.ran == n);
  free(s.ring);
  free_handles(&s);
  loop_close(&loop);
  return r;
}

/* ---------------------------------------------------------------- B2: timers, half cancelled */

/* splitmix64, bit for bit as bench_core.cpp and core_py.py. */
static uint64_t splitmix_next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

typedef struct {
  double* delays;
  uint32_t* cancel_order; /* n / 2 indices */
  char* cancelled;
  long expected, fired, wrong;
} TimerPlan;

static TimerPlan make_plan(long n, double span, uint64_t seed) {
  TimerPlan p = {
      malloc(n * sizeof(double)), malloc(n * sizeof(uint32_t)), calloc(n, 1), n - n / 2, 0, 0};
  uint64_t state = seed;
  for (long i = 0; i < n; ++i)
    p.delays[i] = (double)(splitmix_next(&state) >> 11) * 0x1.0p-53 * span;
  for (long i = 0; i < n; ++i) p.cancel_order[i] = (uint32_t)i;
  for (long i = n - 1; i > 0; --i) {
    uint64_t j = splitmix_next(&state) % (uint64_t)(i + 1);
    uint32_t t = p.cancel_order[i];
    p.cancel_order[i] = p.cancel_order[j];
    p.cancel_order[j] = t;
  }
  for (long i = 0; i < n / 2; ++i) p.cancelled[p.cancel_order[i]] = 1;
  return p;
}

typedef struct {
  uv_timer_t timer;
  TimerPlan* plan;
  uint32_t index;
} Timer;

static void on_timer(uv_timer_t* t) {
  Timer* timer = (Timer*)t;
  ++timer->plan->fired;
  timer->plan->wrong += timer->plan->cancelled[timer->index];
}

/* One batch: the plan's timers all pending at once, half stopped, run until the rest fired. */
static bool b2_batch(uv_loop_t* loop, TimerPlan* plan, Timer* timers, long n) {
  plan->fired = plan->wrong = 0;
  for (long i = 0; i < n; ++i) {
    timers[i].plan = plan;
    timers[i].index = (uint32_t)i;
    uv_timer_init(loop, &timers[i].timer);
    uv_timer_start(&timers[i].timer, on_timer, (uint64_t)llround(plan->delays[i] * 1e3), 0);
  }
  for (long i = 0; i < n / 2; ++i) uv_timer_stop(&timers[plan->cancel_order[i]].timer);
  uv_run(loop, UV_RUN_DEFAULT); /* returns once the last timer fired */
  return plan->fired == plan->expected && plan->wrong == 0;
}

static Sample b2(const Options* o, long n) {
  long size = o->pending > 0 && o->pending < n ? o->pending : n;
  long count = n / size > 1 ? n / size : 1;
  TimerPlan plan = make_plan(size, o->span, o->seed);
  uv_loop_t loop;
  check_uv(uv_loop_init(&loop), "uv_loop_init");
  /* One array per batch, as the C++ peers make new timers per batch; a batch's handles are
   * closed when the next batch starts, and the last batch's after the timing, as before. */
  bool ok = true;
  Timer* timers = NULL;
  int64_t wall0 = now_ns(), cpu0 = cpu_ns();
  for (long b = 0; b < count; ++b) {
    if (timers != NULL) {
      for (long i = 0; i < size; ++i) uv_close((uv_handle_t*)&timers[i].timer, NULL);
      uv_run(&loop, UV_RUN_DEFAULT); /* runs the close callbacks */
      free(timers);
    }
    timers = malloc(size * sizeof *timers);
    ok = b2_batch(&loop, &plan, timers, size) && ok;
  }
  Sample r = timed(wall0, cpu0, count * size, ok);
  loop_close(&loop);
  free(timers);
  free(plan.delays);
  free(plan.cancel_order);
  free(plan.cancelled);
  return r;
}

/* ---------------------------------------------------------------- B3: ping-pong latency */

typedef struct {
  uv_async_t ping, quit;
  _Atomic int64_t t1;
  atomic_bool done;
  const Options* o;
  long pings;
  int64_t* lat;
  long count;
} B3State;

static void on_ping(uv_async_t* a) {
  B3State* s = a->data;
  atomic_store_explicit(&s->t1, now_ns(), memory_order_relaxed);
  atomic_store_explicit(&s->done, true, memory_order_release);
}

static void on_quit(uv_async_t* a) {
  B3State* s = a->data;
  uv_close((uv_handle_t*)&s->ping, NULL);
  uv_close((uv_handle_t*)&s->quit, NULL);
}

/* The producer idles (so the loop falls asleep in epoll_wait), pings, spins for the pong. */
static void* producer(void* arg) {
  B3State* s = arg;
  for (long i = 0; i < s->o->warmup_pings + s->pings; ++i) {
    int64_t idle_end = now_ns() + s->o->idle_us * 1000;
    while (now_ns() < idle_end) cpu_relax();
    atomic_store_explicit(&s->done, false, memory_order_relaxed);
    int64_t t0 = now_ns();
    uv_async_send(&s->ping);
    while (!atomic_load_explicit(&s->done, memory_order_acquire)) cpu_relax();
    if (i >= s->o->warmup_pings) s->lat[s->count++] = atomic_load(&s->t1) - t0;
  }
  uv_async_send(&s->quit);
  return NULL;
}

static int by_value(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile, as bench_core.cpp and core_py.py compute it. */
static double percentile_us(const int64_t* sorted, long n, double q) {
  long rank = (long)ceil(q * (double)n);
  return (double)sorted[(rank < 1 ? 1 : rank) - 1] * 1e-3;
}

static Sample b3(const Options* o, long pings) {
  uv_loop_t loop;
  check_uv(uv_loop_init(&loop), "uv_loop_init");
  B3State s = {.o = o, .pings = pings, .lat = malloc(pings * sizeof(int64_t))};
  check_uv(uv_async_init(&loop, &s.ping, on_ping), "uv_async_init");
  check_uv(uv_async_init(&loop, &s.quit, on_quit), "uv_async_init");
  s.ping.data = s.quit.data = &s;
  pthread_t thread;
  if (pthread_create(&thread, NULL, producer, &s) != 0) die("pthread_create", 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  pthread_join(thread, NULL);
  loop_close(&loop);
  Sample r = {.n = s.count, .ok = s.count == pings && pings > 0};
  if (s.count > 0) {
    qsort(s.lat, s.count, sizeof(int64_t), by_value);
    r.p50_us = percentile_us(s.lat, s.count, 0.50);
    r.p99_us = percentile_us(s.lat, s.count, 0.99);
  }
  free(s.lat);
  return r;
}

/* ---------------------------------------------------------------- driver */

static void print_sample(const Options* o, Sample s) {
  const char* ok = s.ok ? "true" : "false";
  if (strcmp(o->bench, "B3") == 0) {
    printf(
        "{\"bench\":\"B3\",\"peer\":\"libuv\",\"n\":%ld,\"p50_us\":%.3f,\"p99_us\":%.3f,"
        "\"ok\":%s}\n",
        s.n, s.p50_us, s.p99_us, ok);
  } else {
    printf(
        "{\"bench\":\"%s\",\"peer\":\"libuv\",\"n\":%ld,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
        "\"rate\":%.1f,\"ok\":%s}\n",
        o->bench, s.n, s.wall_s, s.cpu_s, (double)s.n / s.wall_s, ok);
  }
  fflush(stdout);
}

static Options parse(int argc, char** argv) {
  if (argc < 3 || strcmp(argv[2], "uv") != 0) {
    fprintf(stderr, "usage: bench_uv <B1|B2|B3> uv [options]\n");
    exit(2);
  }
  Options o = {argv[1], 0, -1, 1000, 200, 200, 5, 0.05, 20240601, 0};
  struct {
    const char* name;
    long* value;
  } longs[] = {{"--n", &o.n},
               {"--reps", &o.reps},
               {"--warmup-n", &o.warmup_n},
               {"--chains", &o.chains},
               {"--warmup-pings", &o.warmup_pings},
               {"--idle-us", &o.idle_us},
               {"--pending", &o.pending}};
  for (int i = 3; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    bool known = true;
    if (!strcmp(k, "--span"))
      o.span = atof(v);
    else if (!strcmp(k, "--seed"))
      o.seed = strtoull(v, NULL, 10);
    else
      known = false;
    for (size_t j = 0; !known && j < sizeof longs / sizeof longs[0]; ++j) {
      if (!strcmp(k, longs[j].name)) {
        *longs[j].value = atol(v);
        known = true;
      }
    }
    if (!known) {
      fprintf(stderr, "bench_uv: unknown option %s\n", k);
      exit(2);
    }
  }
  return o;
}

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Sample (*run)(const Options*, long) = !strcmp(o.bench, "B1")   ? b1
                                        : !strcmp(o.bench, "B2") ? b2
                                        : !strcmp(o.bench, "B3") ? b3
                                                                 : NULL;
  if (run == NULL) {
    fprintf(stderr, "bench_uv: unknown benchmark %s\n", o.bench);
    return 2;
  }
  long n = o.n > 0                  ? o.n
           : !strcmp(o.bench, "B2") ? 200000
           : !strcmp(o.bench, "B3") ? 3000
                                    : 1000000;
  long warmup = o.warmup_n >= 0 ? o.warmup_n : (n / 10 > 1 ? n / 10 : 1);
  if (strcmp(o.bench, "B3") != 0 && warmup > 0) run(&o, warmup);
  int rc = 0;
  for (int r = 0; r < o.reps; ++r) {
    Sample s = run(&o, n);
    print_sample(&o, s);
    if (!s.ok) rc = 1;
  }
  return rc;
}
