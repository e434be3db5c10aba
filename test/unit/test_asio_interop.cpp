// asyncio::use_future: Asio operations awaited from tasks. The CPython references are
// wrap_future (a result arriving from another thread through the loop) and the tests of a
// task cancelled while it waits on a future.
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"
#include "net_support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::use_future;
using namespace test_support;

namespace {

// An operation made with async_initiate: the handler is called with `args` from `io`.
template <class Signature, class Token, class... Args>
auto answer_from(asio::io_context& io, Token&& token, Args... args) {
  return asio::async_initiate<Token, Signature>(
      [&io](auto handler, auto... values) {
        asio::post(io, [h = std::move(handler), values...]() mutable { std::move(h)(values...); });
      },
      token, args...);
}

// An operation that keeps its handler until the test completes it, ignoring cancellation.
struct HeldOp {
  std::function<void(int)> complete;
  int started = 0;
  template <class Token>
  auto start(Token&& token) {
    return asio::async_initiate<Token, void(int)>(
        [this](auto handler) {
          ++started;
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          complete = [shared](int v) { std::move (*shared)(v); };
        },
        token);
  }
};

int closed_tcp_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  socklen_t len = sizeof sin;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(s);
  return ntohs(sin.sin_port);
}

template <class T>
Coro<T> await_future(Future<T> fut) {
  co_return co_await fut;
}

}  // namespace

TEST_CASE("use_future_timer: test_futures.BaseFutureTests.test_wrap_future", "[asio_interop]") {
  EventLoop loop;
  asio::steady_timer timer(loop.io_context(), std::chrono::seconds(0));
  auto body = [&]() -> Coro<int> {
    co_await timer.async_wait(use_future);  // (error_code) -> void
    co_return 1;
  };
  CHECK(run(loop, body()) == 1);
}

TEST_CASE("use_future_read_some: test_futures.BaseFutureTests.test_wrap_future", "[asio_interop]") {
  EventLoop loop;
  asio::local::stream_protocol::socket a(loop.io_context()), b(loop.io_context());
  asio::local::connect_pair(a, b);
  asio::write(b, asio::buffer("hello", 5));
  char data[16];
  auto body = [&]() -> Coro<std::size_t> {
    std::size_t n = co_await a.async_read_some(asio::buffer(data), use_future);
    co_return n;
  };
  CHECK(run(loop, body()) == 5);
  CHECK(std::string(data, 5) == "hello");
}

TEST_CASE("use_future_eof_not_errno: test_futures.BaseFutureTests.test_wrap_future_exception",
          "[asio_interop]") {
  EventLoop loop;
  asio::local::stream_protocol::socket a(loop.io_context()), b(loop.io_context());
  asio::local::connect_pair(a, b);
  b.close();
  char data[4];
  auto body = [&]() -> Coro<void> {
    auto fut = a.async_read_some(asio::buffer(data), use_future);
    try {
      co_await fut;
    } catch (const asyncio::FileNotFoundError&) {
      FAIL("asio::error::eof (misc category, value 2) must not be taken for ENOENT");
    } catch (const asyncio::OSError& e) {
      CHECK(e.code().value() == asio::error::eof);
    }
  };
  run(loop, body());
}

TEST_CASE("use_future_refused: test_futures.BaseFutureTests.test_wrap_future_exception",
          "[asio_interop]") {
  EventLoop loop;
  asio::ip::tcp::socket sock(loop.io_context());
  asio::ip::tcp::endpoint closed(asio::ip::address_v4::loopback(),
                                 static_cast<unsigned short>(closed_tcp_port()));
  auto body = [&]() -> Coro<bool> {
    try {
      co_await sock.async_connect(closed, use_future);
    } catch (const asyncio::ConnectionRefusedError&) {
      co_return true;
    }
    co_return false;
  };
  CHECK(run(loop, body()));
}

TEST_CASE("use_future_signatures: test_futures.BaseFutureTests.test_wrap_future",
          "[asio_interop]") {
  EventLoop loop;
  asio::io_context& io = loop.io_context();
  auto body = [&]() -> Coro<void> {
    int value = co_await answer_from<void(std::exception_ptr, int)>(io, use_future,
                                                                    std::exception_ptr{}, 7);
    CHECK(value == 7);
    auto pair = co_await answer_from<void(int, std::string)>(io, use_future, 3, std::string("x"));
    CHECK(pair == std::tuple<int, std::string>(3, "x"));
    co_await answer_from<void()>(io, use_future);
    auto failing = answer_from<void(std::exception_ptr, int)>(
        io, use_future, std::make_exception_ptr(std::logic_error("boom")), 0);
    try {
      co_await failing;
      FAIL("the exception_ptr must be rethrown");
    } catch (const std::logic_error& e) {
      CHECK(std::string(e.what()) == "boom");
    }
  };
  run(loop, body());
}

TEST_CASE(
    "use_future_foreign_thread: test_futures.BaseFutureTests.test_wrap_future_use_global_loop",
    "[asio_interop]") {
  EventLoop loop;
  asio::io_context other;
  auto work = asio::make_work_guard(other);
  std::thread host([&] { other.run(); });
  std::promise<std::thread::id> handler_thread;
  auto handler_ran = handler_thread.get_future();
  std::thread::id callback_thread;
  auto body = [&]() -> Coro<int> {
    auto fut = asio::async_initiate<const asyncio::use_future_t&, void(int)>(
        [&](auto handler) {
          asio::post(other, [&, h = std::move(handler)]() mutable {
            std::move(h)(42);  // on `host`: must only post to the loop
            handler_thread.set_value(std::this_thread::get_id());
          });
        },
        use_future);
    fut.add_done_callback([&](Future<int>) { callback_thread = std::this_thread::get_id(); });
    bool called = handler_ran.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    CHECK(called);
    CHECK_FALSE(fut.done());  // not completed on the foreign thread
    int v = co_await fut;
    co_return v;
  };
  CHECK(run(loop, body()) == 42);
  CHECK(handler_ran.get() == host.get_id());
  CHECK(callback_thread == std::this_thread::get_id());
  work.reset();
  host.join();
}

// A completion on the loop's own thread settles the future at once (a hop through call_soon
// would cost the task one loop iteration more per operation); its done callbacks are still
// only scheduled, as set_result schedules them.
TEST_CASE("use_future_settles_on_loop_thread: test_futures.BaseFutureTests.test_wrap_future",
          "[asio_interop]") {
  EventLoop loop;
  HeldOp op;
  bool done_at_once = false, callback_inline = true, callback_ran = false;
  auto body = [&]() -> Coro<int> {
    Future<int> fut = op.start(use_future);
    fut.add_done_callback([&](Future<int>) { callback_ran = true; });
    loop.call_soon([&] {
      op.complete(7);  // on the loop's thread, inside its run
      done_at_once = fut.done();
      callback_inline = callback_ran;
    });
    int v = co_await fut;
    co_return v;
  };
  CHECK(run(loop, body()) == 7);
  CHECK(done_at_once);
  CHECK_FALSE(callback_inline);
  CHECK(callback_ran);
}

TEST_CASE("use_future_cancel_timer: test_tasks.BaseTaskTests.test_cancel_inner_future",
          "[asio_interop]") {
  EventLoop loop;
  asio::steady_timer timer(loop.io_context(), std::chrono::seconds(30));
  Future<void> waiting;
  auto body = [&]() -> Coro<void> {
    waiting = timer.async_wait(use_future);
    co_await waiting;
  };
  auto task = loop.create_task(body());
  spin(loop);
  REQUIRE(task.cancel("stop"));
  CHECK_FALSE(waiting.done());  // pending until the timer answers with operation_aborted
  double start = loop.time();
  std::string message;
  try {
    loop.run_until_complete(task);
  } catch (const CancelledError& e) {
    message = e.what();
  }
  CHECK(task.cancelled());
  CHECK(waiting.cancelled());
  CHECK(message == "stop");
  CHECK(loop.time() - start < 10);  // the timer was cancelled, not waited out
}

TEST_CASE("use_future_cancel_foreign: test_futures.BaseFutureTests.test_wrap_future_cancel",
          "[asio_interop]") {
  EventLoop loop;
  asio::io_context other;
  auto work = asio::make_work_guard(other);
  std::thread host([&] { other.run(); });
  // The timer lives in the other thread's context: the cancellation is emitted there.
  asio::steady_timer timer(other, std::chrono::seconds(30));
  auto body = [&]() -> Coro<void> { co_await timer.async_wait(use_future); };
  auto task = loop.create_task(body());
  spin(loop);
  REQUIRE(task.cancel());
  double start = loop.time();
  CHECK_THROWS_AS(loop.run_until_complete(task), CancelledError);
  CHECK(loop.time() - start < 10);
  work.reset();
  host.join();
}

TEST_CASE("use_future_cancel_ignored: test_tasks.BaseTaskTests.test_cancel_at_end",
          "[asio_interop]") {
  EventLoop loop;
  HeldOp op;
  bool resumed_with_value = false;
  auto body = [&]() -> Coro<void> {
    int v = co_await op.start(use_future);
    resumed_with_value = v == 12;
  };
  auto task = loop.create_task(body());
  spin(loop);
  REQUIRE(op.started == 1);
  REQUIRE(task.cancel());
  spin(loop, 3);
  CHECK_FALSE(task.done());  // the operation still holds the task's buffers: it waits
  op.complete(12);           // the operation ignored the request and finished
  CHECK_THROWS_AS(loop.run_until_complete(task), CancelledError);
  CHECK(task.cancelled());
  CHECK_FALSE(resumed_with_value);
  CHECK_FALSE(task.cancel());
}

TEST_CASE("use_future_not_awaited: test_futures.BaseFutureTests.test_wrap_future",
          "[asio_interop]") {
  EventLoop loop;
  asio::steady_timer timer(loop.io_context(), std::chrono::seconds(0));
  std::optional<Future<void>> fut;
  loop.call_soon([&] { fut = timer.async_wait(use_future); });
  spin(loop);
  REQUIRE(fut);
  wait(loop, *fut);
  CHECK(fut->done());
  CHECK_FALSE(fut->cancelled());
}

TEST_CASE("use_future_no_loop: test_futures.BaseFutureTests.test_wrap_future_use_global_loop",
          "[asio_interop]") {
  EventLoop loop;
  HeldOp op;
  CHECK_THROWS_AS(op.start(use_future), asyncio::RuntimeError);
  CHECK(op.started == 0);  // refused before the operation started
}

TEST_CASE("use_future_abandoned: test_futures.BaseFutureTests.test_wrap_future_cancel",
          "[asio_interop]") {
  EventLoop loop;
  auto body = [&]() -> Coro<void> {
    auto fut = asio::async_initiate<const asyncio::use_future_t&, void(int)>(
        [](auto handler) { (void)handler; }, use_future);  // dropped, never called
    try {
      co_await fut;
      FAIL("an abandoned operation must not leave the future pending");
    } catch (const asyncio::RuntimeError& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains("destroyed before it was called"));
    }
  };
  run(loop, body());
}

TEST_CASE("use_future_initiation_throws: test_futures.BaseFutureTests.test_tb_logger_abandoned",
          "[asio_interop]") {
  // The caller got the initiation's exception: the future it never saw is not reported.
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler([&messages](EventLoop&, const asyncio::ExceptionContext& ctx) {
    messages.push_back(ctx.message);
  });
  bool threw = false;
  auto body = [&]() -> Coro<void> {
    try {
      auto fut = asio::async_initiate<const asyncio::use_future_t&, void(int)>(
          [](auto handler) {
            auto held = std::move(handler);
            throw std::invalid_argument("bad operation");
          },
          use_future);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    co_await asyncio::sleep(0);
  };
  run(loop, body());
  CHECK(threw);
  spin(loop, 2);
  CHECK(messages.empty());
}
