// Mirrors CPython test_tasks.BaseTaskTests.test_cancel_with_message_then_future_result and
// Task._make_cancelled_error: the CancelledError a cancelled task ended with (carrying the
// cancel message) is handed out once; later result()/exception() calls build a fresh
// CancelledError without the message (Task.__step cancels the future itself with no message).
#include <asyncio/asyncio.hpp>

#include <string>
#include <vector>

#include "trace.hpp"

asyncio::Coro<> sleeper() {
  co_await asyncio::sleep(10);
}

asyncio::Coro<> main_coro() {
  auto t = asyncio::create_task(sleeper());
  co_await asyncio::sleep(0);
  t.cancel("stop");
  std::vector<asyncio::Task<>> tasks{t};
  auto [done, pending] = co_await asyncio::wait(tasks);
  for (std::string attempt : {"first result()", "second result()", "exception()"}) {
    try {
      if (attempt == "exception()") {
        t.exception();
      } else {
        t.result();
      }
    } catch (const asyncio::CancelledError& e) {
      trace::print(attempt + ": CancelledError '" + e.message() + "'");
    }
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
