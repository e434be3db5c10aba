// Helpers shared by the eager task and task factory tests (test_eager_tasks.cpp,
// test_task_factories.cpp, and the eager child of test_contextvars_tasks.cpp): the asyncio names
// they use, the loop of EagerTaskFactoryLoopTests and the coroutines they run.
#pragma once

#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>

namespace eager_support {

// The asyncio names these tests use, for `using namespace eager_support`.
using asyncio::Context;
using asyncio::ContextVar;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio::TaskFactory;
using asyncio::TaskRef;
using asyncio::TaskRequest;

// The loop of EagerTaskFactoryLoopTests.setUp: eager_task_factory installed.
struct EagerLoop {
  EagerLoop() { loop.set_task_factory(asyncio::eager_task_factory); }
  ~EagerLoop() {
    if (!loop.is_closed()) loop.close();
  }
  asyncio::EventLoop loop;
};

inline asyncio::Coro<void> noop() {
  co_return;
}

inline asyncio::Coro<std::string> hello() {
  co_return "hello";
}

inline asyncio::Coro<std::string> after_gate(asyncio::Future<void> gate, std::string result) {
  co_await gate;
  co_return result;
}

inline asyncio::Coro<int> raise_now(std::string what) {
  throw std::invalid_argument(what);
  co_return 0;
}

}  // namespace eager_support
