// Mirrors CPython test_futures.BaseFutureTests.test_tb_logger_exception_unretrieved,
// test_tb_logger_exception_retrieved and test_tb_logger_not_called_after_cancel.
#include <asyncio/asyncio.hpp>

#include "trace.hpp"

#include <stdexcept>

asyncio::EventLoop loop;

void handler(asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
  std::string label = "other", text;
  try {
    std::rethrow_exception(context.exception);
  } catch (const std::invalid_argument& e) {
    label = "ValueError";
    text = e.what();
  } catch (...) {
  }
  trace::print("handler:", context.message);
  trace::print("  exception:", label, text);
  trace::print("  future done:", context.future && context.future->repr().find("finished") !=
                                                        std::string::npos);
}

void drop(const std::string& test_case) {
  auto fut = loop.create_future<int>();
  if (test_case == "cancelled") {
    fut.cancel();
    return;
  }
  fut.set_exception(std::make_exception_ptr(std::invalid_argument(test_case)));
  if (test_case == "retrieved via exception()") {
    fut.exception();
  } else if (test_case == "retrieved via result()") {
    try {
      fut.result();
    } catch (const std::invalid_argument&) {
    }
  }
}

int main() {
  loop.set_exception_handler(handler);
  for (const char* test_case : {"unretrieved", "retrieved via exception()",
                                "retrieved via result()", "cancelled", "unretrieved again"}) {
    trace::print("drop:", test_case);
    drop(test_case);
  }
  trace::print("done");
  loop.close();
}
