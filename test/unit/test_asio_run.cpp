// asyncio::async_run: a task as an Asio asynchronous operation. The closest CPython analogue
// is asyncio.run_coroutine_threadsafe (test_tasks.RunCoroutineThreadsafeTests): a coroutine
// submitted to a loop from elsewhere, its outcome delivered outside the loop.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using namespace test_support;

namespace {

Coro<int> add(int a, int b) {
  co_await asyncio::sleep(0);
  co_return a + b;
}

Coro<void> fail(std::string message) {
  co_await asyncio::sleep(0);
  throw std::invalid_argument(message);
}

// Waits on a future nobody completes: only a cancellation (or the loop closing) ends it.
Coro<int> wait_forever(Future<void> never, bool* started) {
  *started = true;
  co_await never;
  co_return 0;
}

// What a completion handler received, readable from any thread once `called` is set.
struct Outcome {
  std::atomic<int> calls{0};
  std::exception_ptr error;
  int value = -1;
  std::thread::id thread;
  Signal called;
  void record(std::exception_ptr e, int v = 0) {
    error = std::move(e);
    value = v;
    thread = std::this_thread::get_id();
    ++calls;
    called.set();  // last: the test may destroy the Outcome once wait() returns
  }
  // Runs the loop until the handler was called, then waits until it has left record().
  bool wait_called(EventLoop& loop) {
    return run_until(loop, [&] { return calls.load() == 1; }) && called.wait();
  }
};

// what() of the exception of type E held by `error`; "<other>" or "<none>" otherwise.
template <class E>
std::string error_of(const std::exception_ptr& error) {
  return error_text<E>([&] {
    if (error) std::rethrow_exception(error);
  });
}

// The host drives the loop as a guest from `threads` threads until io.stop(); a loop timer
// stops it after 10 s as a safety net. False if the safety net had to.
bool run_guest_host(asio::io_context& io, EventLoop& loop, int threads) {
  std::atomic<bool> timed_out{false};
  auto guard = loop.call_later(10, [&] {
    timed_out = true;
    io.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  for (auto& t : pool) t.join();
  guard.cancel();
  return !timed_out;
}

// An io_context run by one thread of its own, until the guard is released.
struct HostThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~HostThread() {
    work.reset();
    thread.join();
  }
};

// Counts what it allocates and frees, from any thread.
template <class T>
struct CountingAllocator {
  using value_type = T;
  std::atomic<int>* allocated;
  std::atomic<int>* freed;
  template <class U>
  CountingAllocator(const CountingAllocator<U>& other) noexcept
      : allocated(other.allocated), freed(other.freed) {}
  CountingAllocator(std::atomic<int>* a, std::atomic<int>* f) noexcept : allocated(a), freed(f) {}
  T* allocate(std::size_t n) {
    ++*allocated;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    ++*freed;
    std::allocator<T>().deallocate(p, n);
  }
  bool operator==(const CountingAllocator& other) const noexcept {
    return allocated == other.allocated;
  }
};

}  // namespace

TEST_CASE(
    "async_run_handler_allocator: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe",
    "[asio_run]") {
  // The loop's pools serve handlers without an allocator; a handler's own allocator is used.
  Outcome out;
  std::atomic<int> allocated{0}, freed{0};
  {
    HostThread host;
    EventLoop loop;
    auto handler = [&](std::exception_ptr e, int v) { out.record(std::move(e), v); };
    asyncio::async_run(
        loop, add(4, 5),
        asio::bind_executor(
            host.io, asio::bind_allocator(CountingAllocator<void>(&allocated, &freed), handler)));
    REQUIRE(out.wait_called(loop));
    CHECK(out.thread == host.thread.get_id());
  }
  CHECK(out.value == 9);
  CHECK(allocated >= 1);
  CHECK(freed == allocated.load());
}

TEST_CASE(
    "async_run_callback: test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe",
    "[asio_run]") {
  EventLoop loop;
  Outcome out;
  std::thread submitter([&] {  // not the loop's thread: submitted through call_soon_threadsafe
    asyncio::async_run(loop, add(2, 3),
                       [&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
  });
  REQUIRE(out.wait_called(loop));
  submitter.join();
  CHECK_FALSE(out.error);
  CHECK(out.value == 5);
  CHECK(out.thread == std::this_thread::get_id());  // no executor: called where the task ended
}

TEST_CASE(
    "async_run_exception: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe_with_exception",
    "[asio_run]") {
  EventLoop loop;
  Outcome out;
  loop.call_soon([&] {
    asyncio::async_run(loop, fail("boom"), [&](std::exception_ptr e) { out.record(std::move(e)); });
    CHECK(out.calls == 0);  // never inline in the initiating function
  });
  REQUIRE(out.wait_called(loop));
  CHECK(error_of<std::invalid_argument>(out.error) == "boom");
}

TEST_CASE(
    "async_run_use_awaitable: test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe",
    "[asio_run]") {
  EventLoop loop;
  std::atomic<int> result{0};
  std::atomic<bool> finished{false};
  std::thread::id resumed_on;
  std::string failure;
  {
    HostThread host;
    auto caller = [&]() -> asio::awaitable<void> {
      int v = co_await asyncio::async_run(loop, add(20, 22), asio::use_awaitable);
      resumed_on = std::this_thread::get_id();
      try {
        co_await asyncio::async_run(loop, fail("from the task"), asio::use_awaitable);
      } catch (const std::invalid_argument& e) {
        failure = e.what();  // the exception_ptr is rethrown in the awaitable
      }
      result = v;
    };
    asio::co_spawn(host.io, caller(), [&](std::exception_ptr) { finished = true; });
    REQUIRE(run_until(loop, [&] { return finished.load(); }));
    CHECK(resumed_on == host.thread.get_id());  // the handler ran on its own executor
  }
  CHECK(result == 42);
  CHECK(failure == "from the task");
}

TEST_CASE(
    "async_run_deferred: test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe",
    "[asio_run]") {
  EventLoop loop;
  bool ran = false;
  auto body = [&]() -> Coro<int> {
    ran = true;
    co_return 7;
  };
  auto op = asyncio::async_run(loop, body(), asio::deferred);
  run_once(loop);
  CHECK_FALSE(ran);  // a deferred operation starts when it is launched
  Outcome out;
  std::move(op)([&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
  REQUIRE(out.wait_called(loop));
  CHECK(ran);
  CHECK(out.value == 7);
}

TEST_CASE("async_run_detached: no CPython counterpart: Asio's fire-and-forget token",
          "[asio_run]") {
  EventLoop loop;
  std::atomic<int> steps{0};
  auto body = [&]() -> Coro<void> {
    ++steps;
    co_await asyncio::sleep(0);
    ++steps;
  };
  std::thread([&] { asyncio::async_run(loop, body(), asio::detached); }).join();
  REQUIRE(run_until(loop, [&] { return steps.load() == 2; }));
}

TEST_CASE("async_run_task: test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe",
          "[asio_run]") {
  // A Task or a Future of the loop is followed as it is.
  EventLoop loop;
  auto task = loop.create_task(add(1, 1));
  Future<int> fut = loop.create_future<int>();
  Outcome from_task, from_future;
  asyncio::async_run(loop, task,
                     [&](std::exception_ptr e, int v) { from_task.record(std::move(e), v); });
  asyncio::async_run(loop, fut,
                     [&](std::exception_ptr e, int v) { from_future.record(std::move(e), v); });
  loop.call_soon([&] { fut.set_result(9); });
  REQUIRE(from_task.wait_called(loop));
  REQUIRE(from_future.wait_called(loop));
  CHECK(from_task.value == 2);
  CHECK(from_future.value == 9);
}

TEST_CASE("async_run_foreign_future: test_tasks.BaseTaskTests.test_ensure_future_neither",
          "[asio_run]") {
  // ensure_future(fut, loop=other) raises ValueError: so does the handler's exception.
  EventLoop loop, other;
  Outcome out;
  asyncio::async_run(loop, other.create_future<int>(),
                     [&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
  REQUIRE(out.wait_called(loop));
  CHECK_THAT(error_of<std::invalid_argument>(out.error),
             Catch::Matchers::Contains("belongs to a different loop"));
}

TEST_CASE(
    "async_run_slot_cancel: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe_with_timeout",
    "[asio_run]") {
  // CPython cancels the task when the concurrent future is cancelled; here the slot does it.
  EventLoop loop;
  auto type = GENERATE(asio::cancellation_type::terminal, asio::cancellation_type::partial,
                       asio::cancellation_type::total);
  asio::cancellation_signal signal;
  bool started = false;
  Outcome out;
  Future<void> never = loop.create_future<void>();
  asyncio::async_run(loop, wait_forever(never, &started),
                     asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, int v) {
                       out.record(std::move(e), v);
                     }));
  REQUIRE(run_until(loop, [&] { return started; }));
  signal.emit(type);
  REQUIRE(out.wait_called(loop));
  CHECK(error_of<CancelledError>(out.error).empty());
  CHECK(out.calls == 1);
}

TEST_CASE("async_run_timer_race: no CPython counterpart: Boost 1.81 has no asio::cancel_after",
          "[asio_run]") {
  // awaitable_operators' || against an expired timer: the parallel group cancels the losing
  // async_run branch through its slot, which cancels the task.
  using namespace asio::experimental::awaitable_operators;
  EventLoop loop;
  bool started = false;
  auto task = loop.create_task(wait_forever(loop.create_future<void>(), &started));
  std::atomic<bool> finished{false};
  std::size_t winner = 0;
  {
    HostThread host;
    auto race = [&, task]() -> asio::awaitable<void> {
      asio::steady_timer timer(host.io, std::chrono::seconds(0));
      auto result = co_await (asyncio::async_run(loop, task, asio::use_awaitable) ||
                              timer.async_wait(asio::use_awaitable));
      winner = result.index();
    };
    asio::co_spawn(host.io, race(), [&](std::exception_ptr) { finished = true; });
    REQUIRE(run_until(loop, [&] { return finished.load(); }));
  }
  CHECK(winner == 1);
  CHECK(task.cancelled());
}

TEST_CASE("async_run_slot_cancel_before_start: no CPython counterpart: the slot fires first",
          "[asio_run]") {
  // The emission reaches the loop before the task exists: the task is cancelled before its
  // first step and its body never runs.
  EventLoop loop;
  asio::cancellation_signal signal;
  bool started = false;
  Outcome out;
  std::thread([&] {
    asyncio::async_run(
        loop, wait_forever(loop.create_future<void>(), &started),
        asio::bind_cancellation_slot(
            signal.slot(), [&](std::exception_ptr e, int v) { out.record(std::move(e), v); }));
    signal.emit(asio::cancellation_type::terminal);
  }).join();
  REQUIRE(out.wait_called(loop));
  CHECK_FALSE(started);
  CHECK(error_of<CancelledError>(out.error).empty());
}

TEST_CASE(
    "async_run_task_cancelled: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe_task_cancelled",
    "[asio_run]") {
  EventLoop loop;
  bool started = false;
  auto task = loop.create_task(wait_forever(loop.create_future<void>(), &started));
  Outcome out;
  asyncio::async_run(loop, task, [&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
  REQUIRE(run_until(loop, [&] { return started; }));
  task.cancel("from asyncio");
  REQUIRE(out.wait_called(loop));
  CHECK(error_of<CancelledError>(out.error) == "from asyncio");
}

TEST_CASE("async_run_closed_loop: test_events.EventLoopTestsMixin.test_run_until_complete_closed",
          "[asio_run]") {
  // Submitted to a closed loop: the coroutine never runs, the handler still gets one call.
  EventLoop loop;
  loop.close();
  bool ran = false;
  auto body = [&]() -> Coro<int> {
    ran = true;
    co_return 1;
  };
  Outcome out;
  asyncio::async_run(loop, body(),
                     [&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
  REQUIRE(out.called.wait());
  CHECK(error_of<asyncio::RuntimeError>(out.error) == "Event loop is closed");
  CHECK_FALSE(ran);
  CHECK(out.calls == 1);
}

TEST_CASE("async_run_loop_closes: no CPython counterpart: close() abandons the pending task",
          "[asio_run]") {
  bool started = false;
  Outcome out;
  LogCapture log;
  {
    EventLoop loop;
    asyncio::async_run(loop, wait_forever(loop.create_future<void>(), &started),
                       [&](std::exception_ptr e, int v) { out.record(std::move(e), v); });
    REQUIRE(run_until(loop, [&] { return started; }));
    loop.close();
  }
  REQUIRE(out.called.wait());
  CHECK(error_of<asyncio::RuntimeError>(out.error) == "Event loop is closed");
  CHECK(out.calls == 1);
  REQUIRE(log.records.size() == 1);  // as asyncio reports a task the closed loop abandoned
  CHECK_THAT(log.records[0].text,
             Catch::Matchers::StartsWith("Task was destroyed but it is pending!"));
}

TEST_CASE("async_run_loop_destroyed_queued: no CPython counterpart: queued, then destroyed",
          "[asio_run]") {
  // The submission is still in the loop's queue when the loop goes: the handler answers once,
  // on its own executor, which outlives the loop.
  Outcome out;
  {
    HostThread host;
    bool ran = false;
    auto body = [&]() -> Coro<int> {
      ran = true;
      co_return 1;
    };
    {
      EventLoop loop;
      asyncio::async_run(loop, body(),
                         asio::bind_executor(host.io, [&](std::exception_ptr e, int v) {
                           out.record(std::move(e), v);
                         }));
    }
    REQUIRE(out.called.wait());
    CHECK(out.thread == host.thread.get_id());
    CHECK_FALSE(ran);
  }
  CHECK(error_of<asyncio::RuntimeError>(out.error) == "Event loop is closed");
  CHECK(out.calls == 1);
}

TEST_CASE(
    "async_run_guest_four_threads: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe",
    "[asio_run]") {
  // Awaitables on a 4-thread host call into the loop that the same host drives as a guest.
  asio::io_context io;
  EventLoop loop(io);
  constexpr int calls = 200;
  std::atomic<int> finished{0}, failed{0};
  std::atomic<long> sum{0};
  std::atomic<int> inside_loop_step{0};
  auto caller = [&](int i) -> asio::awaitable<void> {
    int v = co_await asyncio::async_run(loop, add(i, 1), asio::use_awaitable);
    // Posted to the host's executor, not dispatched inline in the loop's step.
    if (asyncio::detail::running_loop_or_null() != nullptr) ++inside_loop_step;
    sum += v;
  };
  for (int i = 0; i < calls; ++i) {
    asio::co_spawn(io, caller(i), [&](std::exception_ptr e) {
      if (e) ++failed;
      if (++finished == calls) io.stop();
    });
  }
  REQUIRE(run_guest_host(io, loop, 4));
  CHECK(finished == calls);
  CHECK(failed == 0);
  CHECK(inside_loop_step == 0);
  CHECK(sum == calls * (calls - 1) / 2 + calls);
}

TEST_CASE("use_future_guest_four_threads: test_futures.BaseFutureTests.test_wrap_future",
          "[asio_run]") {
  // A task's Asio operations complete on the 4 host threads: each outcome reaches the task
  // through the loop.
  asio::io_context io;
  EventLoop loop(io);
  constexpr int operations = 100;
  int posted = 0, waited = 0;  // only touched by the task: the loop serialises it
  auto body = [&]() -> Coro<void> {
    std::vector<Future<void>> pending;
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    for (int i = 0; i < operations; ++i) {
      pending.push_back(asio::post(io, asyncio::use_future));
      timers.push_back(std::make_unique<asio::steady_timer>(io, std::chrono::seconds(0)));
      pending.push_back(timers.back()->async_wait(asyncio::use_future));
    }
    for (std::size_t i = 0; i < pending.size(); ++i) {
      co_await pending[i];
      ++(i % 2 == 0 ? posted : waited);
    }
  };
  auto task = loop.create_task(body());
  task.add_done_callback([&](Future<void>) { io.stop(); });
  REQUIRE(run_guest_host(io, loop, 4));
  REQUIRE(task.done());
  task.result();
  CHECK(posted == operations);
  CHECK(waited == operations);
}

// ---------------------------------------------------------------- the value's handover

TEST_CASE(
    "async_run_posted_in_last_step: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe",
    "[asio_run]") {
  // A posted handler gets the value from the task's last step: on the loop's own io_context,
  // the next poll runs it, one iteration after the step, not two.
  EventLoop loop;
  std::vector<std::string> trace;
  auto body = [&]() -> Coro<int> {
    trace.push_back("step");
    co_return 11;
  };
  auto ex = loop.io_context().get_executor();
  loop.call_soon([&] {
    asyncio::async_run(loop, body(), asio::bind_executor(ex, [&](std::exception_ptr e, int v) {
                         trace.push_back(e ? "error" : "handler " + std::to_string(v));
                       }));
    trace.push_back("initiated");
  });
  run_once(loop);  // the callback: the task is created
  run_once(loop);  // its step: the handler is posted
  CHECK(trace == std::vector<std::string>{"initiated", "step"});
  run_once(loop);  // the poll runs it
  CHECK(trace == std::vector<std::string>{"initiated", "step", "handler 11"});
  for (int i = 0; i < 3; ++i) run_once(loop);
  CHECK(trace.size() == 3);  // exactly once: the done callback was withdrawn
}

TEST_CASE(
    "async_run_eager_posted: test_eager_task_factory.EagerTaskFactoryLoopTests."
    "test_eager_task_factory_set",
    "[asio_run]") {
  // An eager task finishes inside the initiating function: the handler is still only posted.
  EventLoop loop;
  loop.set_task_factory(asyncio::eager_task_factory);
  Outcome out;
  auto body = []() -> Coro<int> { co_return 42; };
  HostThread host;
  loop.call_soon([&] {
    asyncio::async_run(loop, body(), asio::bind_executor(host.io, [&](std::exception_ptr e, int v) {
                         out.record(std::move(e), v);
                       }));
  });
  REQUIRE(out.wait_called(loop));
  CHECK_FALSE(out.error);
  CHECK(out.value == 42);
  CHECK(out.thread == host.thread.get_id());
  for (int i = 0; i < 3; ++i) run_once(loop);
  CHECK(out.calls == 1);
}

TEST_CASE(
    "async_run_plain_handler_order: test_tasks.RunCoroutineThreadsafeTests."
    "test_run_coroutine_threadsafe",
    "[asio_run]") {
  // Without an executor the handler is called as a concurrent.futures callback is: from the
  // task's done callback, after what the task's last step scheduled.
  EventLoop loop;
  std::vector<std::string> trace;
  auto body = [&]() -> Coro<int> {
    asyncio::get_running_loop().call_soon([&] { trace.push_back("scheduled by the step"); });
    co_return 5;
  };
  Outcome out;
  loop.call_soon([&] {
    asyncio::async_run(loop, body(), [&](std::exception_ptr e, int v) {
      trace.push_back("handler");
      out.record(std::move(e), v);
    });
  });
  REQUIRE(out.wait_called(loop));
  CHECK(trace == std::vector<std::string>{"scheduled by the step", "handler"});
}
