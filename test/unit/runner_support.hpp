// Helpers shared by the Runner and current-loop tests (test_runners.cpp, test_current_loop.cpp).
#pragma once

#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

namespace test_support {

// What a call threw, as "Type: message", or "nothing".
template <class F>
std::string runtime_error_of(F&& f) {
  try {
    f();
  } catch (const asyncio::RuntimeError& e) {
    return std::string("RuntimeError: ") + e.what();
  } catch (const std::invalid_argument& e) {
    return std::string("invalid_argument: ") + e.what();
  }
  return "nothing";
}

// Clears this thread's current loop before and after a test: tests must not see each other's.
struct CurrentLoopCleared {
  CurrentLoopCleared() { asyncio::set_event_loop(nullptr); }
  ~CurrentLoopCleared() { asyncio::set_event_loop(nullptr); }
};

inline asyncio::Coro<int> value_after_sleep(int value) {
  co_await asyncio::sleep(0);
  co_return value;
}

}  // namespace test_support
