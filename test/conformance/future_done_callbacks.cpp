// Mirrors CPython test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_result,
// test_callbacks_remove_first_callback and test_remove_done_callback: done callbacks are
// scheduled with call_soon when the future completes (never run inline), in registration
// order; a removed one does not run; one added to a done future is scheduled at once.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <vector>

#include "trace.hpp"

asyncio::EventLoop loop;
std::vector<std::string> bag;

auto make_callback(std::string name) {
  return [name](asyncio::Future<std::string> future) {
    trace::print("callback", name, "result:", future.result());
    bag.push_back(name);
  };
}

std::string show(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "(empty)" : out;
}

void soon(std::string name) {
  trace::print("soon", name);
}

void run_once() {
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
}

std::string exception_name(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument&) {
    return "ValueError";
  } catch (...) {
    return "other";
  }
}

int main() {
  asyncio::Future<std::string> fut(loop);
  fut.add_done_callback(make_callback("cb1"));
  auto cb2 = fut.add_done_callback(make_callback("cb2"));
  auto cb3 = fut.add_done_callback(make_callback("cb3"));
  trace::print("removed cb2:", fut.remove_done_callback(cb2));
  trace::print("removed cb2 again:", fut.remove_done_callback(cb2));
  loop.call_soon(soon, std::string("queued before set_result"));
  fut.set_result("foo");
  trace::print("right after set_result:", show(bag));
  loop.call_soon(soon, std::string("queued after set_result"));
  trace::print("removing after set_result:", fut.remove_done_callback(cb3));
  run_once();
  trace::print("after one iteration:", show(bag));

  fut.add_done_callback(make_callback("late"));
  trace::print("late callback not inline:", show(bag));
  run_once();
  trace::print("after another iteration:", show(bag));

  asyncio::Future<std::string> failed(loop);
  failed.add_done_callback([](asyncio::Future<std::string> f) {
    trace::print("callback sees exception:", exception_name(f.exception()));
  });
  failed.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  run_once();
  loop.close();
}
