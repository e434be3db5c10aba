// asyncio.run: a new loop, the main coroutine as a task, then asyncio's shutdown: cancel
// what is left, wait for it, shut the default executor down and close the loop.
#pragma once

#include <asyncio/tasks.hpp>

#include <optional>

namespace asyncio {

namespace detail {
void shutdown_run_loop(EventLoop& loop) noexcept;
}

template <class T>
T run(Coro<T> main, std::optional<bool> debug = std::nullopt) {
  if (detail::running_loop_or_null() != nullptr) {
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  EventLoop loop;
  if (debug) loop.set_debug(*debug);
  struct Shutdown {
    EventLoop& loop;
    ~Shutdown() { detail::shutdown_run_loop(loop); }
  } shutdown{loop};
  return loop.run_until_complete(std::move(main));
}

}  // namespace asyncio
