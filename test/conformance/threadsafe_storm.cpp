// Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe, scaled up:
// 4 threads x 2500 call_soon_threadsafe calls all run, each thread's calls in its own
// order, and the loop stops exactly when the last one has run.
#include <asyncio/asyncio.hpp>

#include <latch>
#include <thread>
#include <vector>

#include "trace.hpp"

constexpr int THREADS = 4;
constexpr int CALLS = 2500;
asyncio::EventLoop loop;
int count = 0;
std::vector<int> next_index(THREADS, 0);
bool in_order = true;

void bump(int thread, int index) {
  if (index != next_index[thread]) in_order = false;
  next_index[thread] = index + 1;
  count += 1;
  if (count == THREADS * CALLS) {
    trace::print("last call ran, stopping");
    loop.stop();
  }
}

void producer(int thread, std::latch& start) {
  start.wait();
  for (int index = 0; index < CALLS; ++index) loop.call_soon_threadsafe(bump, thread, index);
}

int main() {
  std::latch start(1);
  std::vector<std::thread> threads;
  for (int i = 0; i < THREADS; ++i) threads.emplace_back(producer, i, std::ref(start));
  loop.call_soon([&start] { start.count_down(); });  // the producers begin once the loop runs
  loop.run_forever();
  for (auto& thread : threads) thread.join();
  trace::print("count:", count);
  trace::print("per-thread order kept:", in_order);
  trace::print("every thread finished:", next_index == std::vector<int>(THREADS, CALLS));
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  trace::print("nothing ran after the stop:", count);
  loop.close();
}
