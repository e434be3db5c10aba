// Worker threads feeding the loop: plain std::threads hand results over with
// call_soon_threadsafe into an asyncio::Queue, and a blocking function runs in the default
// executor through run_in_executor.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>

long slow_sum(long n) {  // blocking work for the executor
  long total = 0;
  for (long i = 1; i <= n; ++i) total += i;
  return total;
}

asyncio::Coro<void> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Queue<int> results;

  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&loop, &results, t] {
      for (int i = 0; i < 3; ++i) {
        int value = t * 10 + i;  // computed off the loop
        loop.call_soon_threadsafe([&results, value] { results.put_nowait(value); });
      }
    });
  }

  auto sum = loop.run_in_executor(nullptr, slow_sum, 1000000L);

  std::vector<int> received;
  for (int i = 0; i < 9; ++i) received.push_back(co_await results.get());
  std::sort(received.begin(), received.end());  // threads race: sort to print stably
  std::cout << "received from threads:";
  for (int v : received) std::cout << ' ' << v;
  std::cout << "\nexecutor computed " << co_await sum << std::endl;

  co_await asyncio::to_thread([&threads] {
    for (auto& t : threads) t.join();
  });
}

int main() { asyncio::run(main_coro()); }
