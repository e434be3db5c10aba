// Mirrors CPython test_threads.ToThreadTests.test_to_thread, test_to_thread_exception,
// test_to_thread_concurrent and test_events.EventLoopTestsMixin.test_run_in_executor:
// run_in_executor (default or a custom ThreadPoolExecutor) and to_thread run the function on
// a worker thread and deliver its result or exception to the awaiting task; gather over
// several of them keeps argument order.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "trace.hpp"

const std::thread::id main_thread = std::this_thread::get_id();

int square(int x) {
  return x * x;
}

int fail(std::string message) {
  throw std::invalid_argument(message);
}

bool on_worker_thread() {
  return std::this_thread::get_id() != main_thread;
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  trace::print("run_in_executor result:", co_await loop.run_in_executor(nullptr, square, 7));
  try {
    co_await loop.run_in_executor(nullptr, fail, "from run_in_executor");
  } catch (const std::invalid_argument& e) {
    trace::print("run_in_executor raises ValueError", e.what());
  }
  trace::print("to_thread result:", co_await asyncio::to_thread(square, 8));
  try {
    co_await asyncio::to_thread(fail, "from to_thread");
  } catch (const std::invalid_argument& e) {
    trace::print("to_thread raises ValueError", e.what());
  }
  trace::print("ran on a worker thread:", co_await asyncio::to_thread(on_worker_thread));

  asyncio::ThreadPoolExecutor pool(1);
  trace::print("custom executor result:", co_await loop.run_in_executor(&pool, square, 9));
  pool.shutdown();

  std::vector<asyncio::Future<int>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(asyncio::to_thread(square, i));
  auto results = co_await asyncio::gather(futures);
  trace::print("gathered in argument order:", results[0], results[1], results[2], results[3],
               results[4]);
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
