// The per-thread pools of coroutine frames and handles (lib/block_pool.hpp): a burst's blocks
// are kept for the next burst, given back when the loop goes idle, bounded for blocks other
// threads free, and freed at thread exit (LeakSanitizer checks that under ASan).
// No CPython counterpart: allocator. (The cancel message's own behaviour is
// test_tasks.cpp's test_cancel_with_message_then_future_result.)
#include "loop_support.hpp"
#include "ring_buffer.hpp"

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t frame_size = 100;  // one size class (112 bytes)
constexpr std::size_t min_kept = 1 << 16;
constexpr std::size_t kept_when_idle = 1024;  // per class: base_events.cpp

asyncio::Coro<void> yields_once() {
  co_await asyncio::sleep(0);
}

asyncio::Coro<std::size_t> burst(std::size_t n) {
  std::vector<asyncio::Task<void>> tasks;
  for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(yields_once()));
  auto results = co_await asyncio::gather(tasks);
  co_return results.size();
}

// The loop blocks in its selector once: a call_soon_threadsafe waits in the inbox, not in the
// ready queue, so the loop polls with no timeout before it runs the stop.
bool go_idle_once(asyncio::EventLoop& loop) {
  loop.call_soon_threadsafe([&loop] { loop.stop(); });
  return test_support::run_forever_guarded(loop);
}

// Runs `body` on a fresh thread, whose pools start empty.
template <class Body>
void on_new_thread(Body body) {
  std::thread t(body);
  t.join();
}

}  // namespace

TEST_CASE(
    "pools: a burst's frames and handles stay pooled until the loop goes idle "
    "(no CPython counterpart: allocator)",
    "[pools]") {
  on_new_thread([] {
    asyncio::EventLoop loop;
    constexpr std::size_t n = 3000;  // more than kept_when_idle in each class it uses
    std::size_t done = loop.run_until_complete(burst(n));
    CHECK(done == n);
    // Each task: a coroutine frame and a task state, in two classes.
    CHECK(asyncio::detail::pooled_frames() >= 2 * n);
    CHECK(asyncio::detail::pooled_handles() >= n);

    CHECK(go_idle_once(loop));
    // Trimmed before the loop blocked; the stop's own handle came back after.
    CHECK(asyncio::detail::pooled_frames() <= 3 * kept_when_idle);
    CHECK(asyncio::detail::pooled_handles() <= kept_when_idle + 1);
    loop.close();
  });
}

TEST_CASE(
    "pools: a burst of more than 131,072 blocks is trimmed at the next idle, however soon "
    "(no CPython counterpart: allocator, B17)",
    "[pools]") {
  on_new_thread([] {
    asyncio::EventLoop loop;
    CHECK(go_idle_once(loop));  // a calm trim: the next one is a second away
    CHECK(asyncio::detail::frames_minted_since_trim() == 0);
    constexpr std::size_t n = 70000;  // two frames each: past the burst threshold
    CHECK(loop.run_until_complete(burst(n)) == n);
    CHECK(asyncio::detail::frames_minted_since_trim() >= 2 * n);
    CHECK(go_idle_once(loop));
    CHECK(asyncio::detail::frames_minted_since_trim() == 0);
    CHECK(asyncio::detail::pooled_frames() <= 3 * kept_when_idle);
    loop.close();
  });
}

TEST_CASE(
    "pools: a burst past the old 65,536-block cap is pooled whole, and trim gives back "
    "the excess (no CPython counterpart: allocator)",
    "[pools]") {
  on_new_thread([] {
    constexpr std::size_t n = min_kept + 5000;
    std::vector<void*> frames;
    for (std::size_t i = 0; i < n; ++i)
      frames.push_back(asyncio::detail::allocate_frame(frame_size));
    for (void* f : frames) asyncio::detail::free_frame(f, frame_size);
    CHECK(asyncio::detail::pooled_frames() == n);

    std::size_t released = asyncio::detail::trim_frame_pool(10);
    CHECK(released == (n - 10) * 112);
    CHECK(asyncio::detail::pooled_frames() == 10);
    CHECK(asyncio::detail::trim_frame_pool(10) == 0);
  });
}

TEST_CASE(
    "pools: frames freed on another thread go to its pool, up to the fixed minimum, and "
    "its exit frees them (no CPython counterpart: allocator)",
    "[pools]") {
  constexpr std::size_t n = min_kept + 1000;
  std::vector<void*> frames;
  for (std::size_t i = 0; i < n; ++i) frames.push_back(asyncio::detail::allocate_frame(frame_size));
  std::size_t pooled_there = 0;
  on_new_thread([&] {
    CHECK(asyncio::detail::pooled_frames() == 0);
    for (void* f : frames) asyncio::detail::free_frame(f, frame_size);
    pooled_there = asyncio::detail::pooled_frames();
  });
  // That thread took none out: it keeps min_kept and deletes the rest. Its reaper freed those
  // at exit (LeakSanitizer would report them).
  CHECK(pooled_there == min_kept);
}

TEST_CASE(
    "pools: the ready queue's storage is freed once empty and grown past the limit "
    "(no CPython counterpart: allocator)",
    "[pools]") {
  asyncio::detail::RingBuffer<int> queue;
  for (int i = 0; i < 10000; ++i) queue.push_back(i);
  CHECK(queue.shrink_if_empty(4096) == 0);  // not empty: kept
  long sum = 0;
  for (int i = 0; i < 10000; ++i) sum += queue.pop_front();
  CHECK(sum == 9999L * 10000 / 2);
  CHECK(queue.shrink_if_empty(16384) == 0);  // within the limit: kept
  CHECK(queue.shrink_if_empty(4096) == 16384 * sizeof(int));
  queue.push_back(7);  // grows again from nothing
  CHECK(queue.pop_front() == 7);
  CHECK(queue.empty());
}

TEST_CASE(
    "pools: a cancel message costs one pointer until one is given, and survives copies "
    "(no CPython counterpart: allocator, task size)",
    "[pools]") {
  static_assert(sizeof(asyncio::detail::RareString) == sizeof(void*));
  asyncio::detail::RareString message;
  CHECK(message.empty());
  CHECK(message.str().empty());
  message = std::string("stop now");
  asyncio::detail::RareString copy = message;
  message = std::string();  // an empty message frees the string
  CHECK(message.empty());
  CHECK(copy.str() == "stop now");
  const std::string& as_string = copy;
  CHECK(as_string == "stop now");
}

TEST_CASE(
    "pools: handles a producer thread allocated and the loop's thread freed come back to a "
    "producer in batches, not from malloc (no CPython counterpart: allocator, B4)",
    "[pools]") {
  constexpr std::size_t n = min_kept + 4096;
  std::vector<asyncio::detail::HandleImpl*> handles;
  on_new_thread([&] {  // the producer: call_soon_threadsafe allocates there
    for (std::size_t i = 0; i < n; ++i) handles.push_back(asyncio::detail::acquire_handle());
  });
  on_new_thread([&] {  // the loop: it frees them all; past min_kept its pool hands batches on
    for (auto* h : handles) asyncio::detail::recycle_handle(h);
    CHECK(asyncio::detail::pooled_handles() < n);
  });
  on_new_thread([] {  // another producer, its pool empty: it takes a batch at its first call
    CHECK(asyncio::detail::pooled_handles() == 0);
    asyncio::detail::recycle_handle(asyncio::detail::acquire_handle());
    CHECK(asyncio::detail::pooled_handles() == 256);  // a whole batch, one back in it
  });
}
