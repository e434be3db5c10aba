// Mirrors CPython test_tasks.GatherTests (test_success, test_one_exception,
// test_return_exceptions) and gather's documented contract: results come back in argument
// order whatever the completion order; the first exception propagates while the other
// children keep running; return_exceptions=True puts exceptions (a cancelled child's
// CancelledError too) among the results.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

#include "trace.hpp"

asyncio::Coro<std::string> child(std::string name, double delay, bool fail = false) {
  co_await asyncio::sleep(delay);
  trace::print("child", name, "finishes");
  if (fail) throw std::invalid_argument(name);
  co_return name;
}

std::string describe(const asyncio::Outcome<std::string>& result) {
  if (auto* value = std::get_if<std::string>(&result)) return *value;
  try {
    std::rethrow_exception(std::get<std::exception_ptr>(result));
  } catch (const std::invalid_argument& e) {
    return "ValueError(" + std::string(e.what()) + ")";
  } catch (const asyncio::CancelledError&) {
    return "CancelledError";
  }
}

asyncio::Coro<> main_coro() {
  auto [a, b, c] = co_await asyncio::gather(child("a", 0.03), child("b", 0.02), child("c", 0.01));
  trace::print("in argument order:", a, b, c);

  auto survivor = asyncio::create_task(child("y", 0.1));
  try {
    co_await asyncio::gather(child("x", 0.01, true), survivor);
  } catch (const std::invalid_argument& e) {
    trace::print("gather raised ValueError", e.what(), "- survivor done:", survivor.done());
  }
  trace::print("survivor still finishes:", co_await survivor);

  auto [p, q] = co_await asyncio::gather(asyncio::return_exceptions, child("p", 0.02),
                                         child("q", 0.01, true));
  trace::print("with a failing child:", describe(p), describe(q));
  auto doomed = asyncio::create_task(child("d", 10));
  co_await asyncio::sleep(0);
  doomed.cancel();
  auto [r, d] = co_await asyncio::gather(asyncio::return_exceptions, child("r", 0.01), doomed);
  trace::print("with a cancelled child:", describe(r), describe(d));
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
