// Mirrors CPython test_base_events.BaseEventLoopTests.test_default_exc_handler_coro (and
// test_futures' test_tb_logger_exception_unretrieved, for tasks): a failed task whose
// exception nobody retrieved reports "Task exception was never retrieved" to the exception
// handler when it is dropped (Python: del + gc.collect(); C++: the last Task reference
// goes). A retrieved exception, an awaited task or a cancelled task report nothing.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

void handler(asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
  try {
    std::rethrow_exception(context.exception);
  } catch (const std::invalid_argument& e) {
    trace::print("handler:", context.message);
    trace::print("  exception:", "ValueError", e.what(), "- future given:", bool(context.future));
  }
}

asyncio::Coro<> failing(std::string message) {
  throw std::invalid_argument(message);
  co_return;
}

asyncio::Coro<> main_coro() {
  asyncio::get_running_loop().set_exception_handler(handler);
  for (std::string test_case : {"unretrieved", "exception()", "awaited", "cancelled"}) {
    auto t = asyncio::create_task(failing(test_case));
    if (test_case == "cancelled") t.cancel();
    co_await asyncio::sleep(0);
    trace::print("drop:", test_case, "- done:", t.done());
    if (test_case == "exception()") {
      t.exception();
    } else if (test_case == "awaited") {
      try {
        co_await t;
      } catch (const std::invalid_argument&) {
      }
    }
    t = {};  // del t
  }
  trace::print("all dropped");
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
