// asyncio::async_run from an awaitable on the loop's own io_context while the loop drives it:
// the operation keeps no work guard there (the open loop is that context's work), so these
// check that closing the loop still leaves the handler queued, as work of its own, before
// the context may run out of work. Closing abandons the pending task, as CPython's close()
// leaves a pending run_coroutine_threadsafe task; Asio's side has no CPython counterpart.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>

namespace asio = boost::asio;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using namespace test_support;

namespace {

// Counts its destructions: tells whether a coroutine frame was freed.
struct FrameProbe {
  int* destroyed;
  ~FrameProbe() { ++*destroyed; }
};

Coro<int> wait_forever(Future<void> never, bool* started, int* destroyed) {
  FrameProbe probe{destroyed};
  *started = true;
  co_await never;
  co_return 0;
}

// What the awaitable saw: whether it initiated on the running loop, and how it ended.
struct Caller {
  bool on_loop = false;
  bool resumed = false;
  std::string error = "<none>";
  bool finished = false;
  int destroyed = 0;
};

asio::awaitable<void> call_async_run(EventLoop& loop, Coro<int> body, Caller& out) {
  FrameProbe probe{&out.destroyed};
  out.on_loop = asyncio::detail::running_loop_or_null() == &loop;
  try {
    co_await asyncio::async_run(loop, std::move(body), asio::use_awaitable);
  } catch (const asyncio::RuntimeError& e) {
    out.error = e.what();
  }
  out.resumed = true;
}

// Spawns the caller on `io`, and runs the loop until the task has started.
bool start_pending_call(EventLoop& loop, asio::io_context& io, Caller& out, bool& started,
                        int& body_destroyed) {
  auto never = loop.create_future<void>();
  asio::co_spawn(io, call_async_run(loop, wait_forever(never, &started, &body_destroyed), out),
                 [&out](const std::exception_ptr&) { out.finished = true; });
  return run_until(loop, [&] { return started; });
}

}  // namespace

TEST_CASE(
    "async_run_own_context_close_runs_handler: no CPython counterpart: close() abandons the "
    "task, the host runs the handler",
    "[asio_run]") {
  // The host's io_context, driven by run_forever: closing the loop leaves the handler
  // queued, and the host's run() then runs it and returns, out of work.
  asio::io_context io;
  Caller out;
  bool started = false;
  int body_destroyed = 0;
  LogCapture log;
  {
    EventLoop loop(io);
    REQUIRE(start_pending_call(loop, io, out, started, body_destroyed));
    CHECK(out.on_loop);  // the path without a work guard
    loop.close();
    CHECK(body_destroyed == 1);
    CHECK_FALSE(out.resumed);  // posted, not run inside close()
    io.restart();
    io.run_for(std::chrono::seconds(10));  // a safety net: it returns once out of work
    CHECK(io.stopped());
  }
  CHECK(out.resumed);
  CHECK(out.finished);
  CHECK(out.error == "Event loop is closed");
  CHECK(out.destroyed == 1);
  CHECK(log.records.size() == 1);  // "Task was destroyed but it is pending!"
}

TEST_CASE(
    "async_run_own_context_destroyed_with_loop: no CPython counterpart: the handler goes "
    "with the loop's io_context",
    "[asio_run]") {
  // The loop's own io_context goes with the loop: the queued handler is destroyed unrun,
  // and with it the awaitable's frame.
  Caller out;
  bool started = false;
  int body_destroyed = 0;
  LogCapture log;
  {
    EventLoop loop;
    REQUIRE(start_pending_call(loop, loop.io_context(), out, started, body_destroyed));
    CHECK(out.on_loop);
  }
  CHECK(body_destroyed == 1);
  CHECK(out.destroyed == 1);
  CHECK_FALSE(out.resumed);
  CHECK_FALSE(out.finished);
}
