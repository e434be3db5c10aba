// "No allocation per call_soon for small callables": counts operator new calls.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> allocations{0};          // operator new
std::atomic<long> aligned_allocations{0};  // std::aligned_alloc: Asio's recycling allocator
}  // namespace

namespace {
void* counted_malloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

// The whole family is replaced, so that sanitizers see matching allocate/free pairs.
void* operator new(std::size_t size) {
  return counted_malloc(size);
}
void* operator new[](std::size_t size) {
  return counted_malloc(size);
}
// Asio's recycling allocator takes its blocks from std::aligned_alloc, not operator new.
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  aligned_allocations.fetch_add(1, std::memory_order_relaxed);
  return ::memalign(alignment, size);
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

void bump(int* counter, void*, void*) {
  ++*counter;
}

// Runs `schedule` twice: the first round grows the pools, the second is measured.
template <class Schedule>
long allocations_in_steady_state(asyncio::EventLoop& loop, Schedule schedule) {
  for (int round = 0; round < 2; ++round) {
    long before = allocations.load();
    schedule();
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
    if (round == 1) return allocations.load() - before;
  }
  return -1;
}

}  // namespace

TEST_CASE("call_soon of a three-pointer lambda allocates nothing once warmed up") {
  asyncio::EventLoop loop;
  int counter = 0;
  void* a = &loop;
  void* b = &counter;
  auto cb = [&counter, a, b] { counter += (a != b); };
  static_assert(sizeof(cb) == 3 * sizeof(void*));
  long n = allocations_in_steady_state(loop, [&] {
    for (int i = 0; i < 10000; ++i) loop.call_soon(cb);
  });
  CHECK(n == 0);
  CHECK(counter == 20000);
}

TEST_CASE("call_soon with bound arguments (function pointer + 3 pointers) allocates nothing") {
  asyncio::EventLoop loop;
  int counter = 0;
  long n = allocations_in_steady_state(loop, [&] {
    for (int i = 0; i < 10000; ++i) loop.call_soon(bump, &counter, nullptr, nullptr);
  });
  CHECK(n == 0);
  CHECK(counter == 20000);
}

TEST_CASE("call_later and cancel allocate nothing once warmed up") {
  asyncio::EventLoop loop;
  int fired = 0;
  long n = allocations_in_steady_state(loop, [&] {
    for (int i = 0; i < 1000; ++i) {
      auto h = loop.call_later(-1, [&fired] { ++fired; });
      if (i % 2 == 0) h.cancel();
    }
  });
  CHECK(n == 0);
  CHECK(fired == 1000);
}

TEST_CASE("the counter does see allocations: a large callable goes to the heap") {
  asyncio::EventLoop loop;
  struct Big {
    char bytes[128];
    int* counter;
    void operator()() const { ++*counter; }
  };
  int counter = 0;
  long n = allocations_in_steady_state(loop, [&] {
    for (int i = 0; i < 100; ++i) loop.call_soon(Big{{}, &counter});
  });
  CHECK(n >= 100);
  CHECK(counter == 200);
}

TEST_CASE("awaiting a ready future allocates nothing beyond its shared state") {
  asyncio::EventLoop loop;
  asyncio::Future<int> ready(loop);
  ready.set_result(42);
  long measured = -1;
  long sum = 0;
  auto awaiter = [&]() -> asyncio::Coro<void> {
    sum += co_await ready;  // the first await, outside the measurement
    long before = allocations.load();
    for (int i = 0; i < 1000; ++i) sum += co_await ready;
    measured = allocations.load() - before;
  };
  loop.run_until_complete(awaiter());
  CHECK(measured == 0);
  CHECK(sum == 42 * 1001);
}

TEST_CASE(
    "async_run_round_trip_allocs: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe") {
  // An awaitable on the loop's own io_context, awaiting tasks through async_run: the handler
  // posted back to it came from Asio's recycling allocator, which has no cache outside a
  // poll(), so each round trip allocated; it now comes from the loop's pools.
  namespace asio = boost::asio;
  asyncio::EventLoop loop;
  constexpr long round_trips = 1000;
  long sum = 0;
  auto one = []() -> asyncio::Coro<long> { co_return 1; };
  auto caller = [&]() -> asio::awaitable<void> {
    for (long i = 0; i < round_trips; ++i) {
      sum += co_await asyncio::async_run(loop, one(), asio::use_awaitable);
    }
  };
  long measured = -1;
  for (int round = 0; round < 2; ++round) {  // the first grows the pools
    long before = allocations.load() + aligned_allocations.load();
    asio::co_spawn(loop.io_context(), caller(), [&](std::exception_ptr e) {
      loop.stop();
      if (e) std::rethrow_exception(e);
    });
    loop.run_forever();
    measured = allocations.load() + aligned_allocations.load() - before;
  }
  CHECK(sum == 2 * round_trips);
  CHECK(measured < round_trips / 10);  // a few per run (co_spawn's own), none per round trip
}
