// Mirrors CPython test_base_events.BaseEventLoopTests.test_set_exc_handler_custom,
// test_set_exc_handler_broken and test_default_exc_handler_callback: a failing callback's
// context reaches the custom handler; None restores the default handler, which logs; a
// handler that raises makes the default handler log "Unhandled error in exception
// handler"; the loop keeps running through all of it.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "trace.hpp"

using HandlerFn = void (*)(asyncio::EventLoop&, const asyncio::ExceptionContext&);

void print_log(asyncio::LogLevel level, std::string_view message) {
  std::string_view first = message.substr(0, message.find('\n'));
  std::string_view rest = message.substr(std::min(message.size(), first.size() + 1));
  std::string shown(first);
  if (first.starts_with("Exception in callback ")) shown = "Exception in callback <callback>";
  trace::print("LOG", asyncio::to_string(level), shown);
  if (rest.starts_with("context: ")) {
    std::string_view second = rest.substr(0, rest.find('\n'));
    trace::print("LOG context names the failed callback:",
                 second.find("Exception in callback ") != std::string_view::npos);
  }
}

asyncio::EventLoop loop;
std::vector<asyncio::Handle> handles;

// Python's `type(exc).__name__, exc`.
std::string describe(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument& e) {
    return std::string("ValueError ") + e.what();
  } catch (const std::exception& e) {
    return std::string("Exception ") + e.what();
  }
}

bool is_handler(const asyncio::ExceptionHandler& current, HandlerFn fn) {
  const HandlerFn* target = current.target<HandlerFn>();
  return target != nullptr && *target == fn;
}

void failing(std::string message) {
  throw std::invalid_argument(message);
}

void after(std::string name) {
  trace::print("loop still runs:", name);
}

void handler(asyncio::EventLoop& loop_arg, const asyncio::ExceptionContext& context) {
  trace::print("handler: same loop:", &loop_arg == &loop);
  trace::print("handler: message prefix:", context.message.starts_with("Exception in callback "));
  trace::print("handler: exception:", describe(context.exception));
  trace::print("handler: handle present:", bool(context.handle), context.handle == handles.back());
}

void broken_handler(asyncio::EventLoop&, const asyncio::ExceptionContext&) {
  trace::print("broken handler called");
  throw asyncio::RuntimeError("handler broke");
}

void fail_then_run_once(std::string message) {
  handles.push_back(loop.call_soon(failing, message));
  loop.call_soon(after, message);
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
}

int main() {
  asyncio::set_log_sink(print_log);
  trace::print("default handler is None:", !loop.get_exception_handler());
  loop.set_exception_handler(handler);
  trace::print("custom handler installed:", is_handler(loop.get_exception_handler(), handler));
  fail_then_run_once("first");

  loop.set_exception_handler({});
  trace::print("after None, handler is None:", !loop.get_exception_handler());
  fail_then_run_once("second");

  loop.set_exception_handler(broken_handler);
  fail_then_run_once("third");

  loop.set_exception_handler(nullptr);
  loop.call_exception_handler({.message = "custom message"});
  loop.call_exception_handler({.message = ""});
  fail_then_run_once("fourth");
  loop.close();
}
