// Ports of CPython's test_asyncio/test_events.py (EventLoopTestsMixin, HandleTests, TimerTests,
// GetEventLoopTestsMixin) and of the reader/writer cases of test_selector_events.py.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <latch>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using asyncio::EventLoop;
using Catch::Matchers::Message;
using Catch::Matchers::StartsWith;
using namespace test_support;

namespace {

constexpr double clock_resolution = 1e-9;

bool send_all(int fd, std::string_view data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

// Keeps a callback ready for `n` iterations, then stops the loop.
void run_iterations(EventLoop& loop, int n) {
  std::function<void()> tick = [&] {
    if (--n == 0) {
      loop.stop();
    } else {
      loop.call_soon(tick);
    }
  };
  loop.call_soon(tick);
  loop.run_forever();
}

template <class F>
std::optional<std::system_error> system_error_of(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- scheduling

TEST_CASE("test_events.EventLoopTestsMixin.test_call_later") {
  SECTION("argument and stop") {
    // A timer's bound argument reaches the callback; the callback can stop the loop.
    EventLoop loop;
    std::vector<std::string> results;
    double t0 = loop.time();
    loop.call_later(
        0.001,
        [&](const std::string& arg) {
          results.push_back(arg);
          loop.stop();
        },
        "hello world");
    REQUIRE(run_forever_guarded(loop));
    CHECK(results == std::vector<std::string>{"hello world"});
    CHECK(loop.time() - t0 >= 0.001 - clock_resolution);
  }
  SECTION("numbers and std::chrono delays") {
    // Delays are seconds of any arithmetic type or any std::chrono::duration.
    EventLoop loop;
    auto check = [&loop](auto delay, double seconds) {
      double before = loop.time();
      asyncio::TimerHandle h = loop.call_later(delay, Noop{});
      double after = loop.time();
      CHECK(h.when() >= before + seconds);
      CHECK(h.when() <= after + seconds);
      h.cancel();
    };
    check(2, 2.0);
    check(-1, -1.0);
    check(2u, 2.0);
    check(1.5, 1.5);
    check(0.25f, 0.25);
    check(std::chrono::seconds(3), 3.0);
    check(std::chrono::minutes(1), 60.0);
    check(std::chrono::milliseconds(1500), 1.5);
    check(std::chrono::microseconds(10), 1e-5);
    check(std::chrono::duration<double>(0.75), 0.75);

    bool fired = false;
    loop.call_later(std::chrono::milliseconds(1), [&] {
      fired = true;
      loop.stop();
    });
    REQUIRE(run_forever_guarded(loop));
    CHECK(fired);
  }
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_later: NaN delay is a ValueError") {
  // Our contract's choice: NaN is rejected. CPython accepts it and the timer fires at once.
  EventLoop loop;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(loop.call_later(nan, Noop{}), std::invalid_argument);
  CHECK_THROWS_AS(loop.call_later(std::chrono::duration<double>(nan), Noop{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(loop.call_at(nan, Noop{}), std::invalid_argument);
  // Nothing was scheduled; an infinite delay is valid and simply never comes due.
  int calls = 0;
  loop.call_later(std::numeric_limits<double>::infinity(), [&calls] { calls += 100; });
  loop.call_soon([&calls] { ++calls; });
  run_once(loop);
  CHECK(calls == 1);
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_soon") {
  // call_soon(callback, *args) passes its arguments.
  EventLoop loop;
  std::vector<std::pair<std::string, std::string>> results;
  loop.call_soon(
      [&](const std::string& a, const std::string& b) {
        results.emplace_back(a, b);
        loop.stop();
      },
      "hello", "world");
  REQUIRE(run_forever_guarded(loop));
  CHECK(results == std::vector<std::pair<std::string, std::string>>{{"hello", "world"}});
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_soon_threadsafe") {
  // A call made from another thread before the loop's own call_soon runs first, as in CPython
  // (whose call_soon_threadsafe appends to _ready at once).
  EventLoop loop;
  std::vector<std::string> results;
  auto callback = [&](const std::string& arg) {
    results.push_back(arg);
    if (results.size() >= 2) loop.stop();
  };
  std::thread t([&] { loop.call_soon_threadsafe(callback, "hello"); });
  t.join();
  loop.call_soon(callback, "world");
  REQUIRE(run_forever_guarded(loop));
  CHECK(results == std::vector<std::string>{"hello", "world"});
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_soon_threadsafe: wakes up a waiting loop") {
  // The loop waits in its poll with nothing to do; a call from another thread wakes it.
  EventLoop loop;
  std::latch running(1);
  bool woken = false;
  std::thread t([&] {
    running.wait();
    loop.call_soon_threadsafe([&] {
      woken = true;
      loop.stop();
    });
  });
  loop.call_soon([&running] { running.count_down(); });
  bool stopped_by_thread = run_forever_guarded(loop);
  t.join();
  CHECK(stopped_by_thread);
  CHECK(woken);
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_soon_threadsafe_same_thread") {
  // From the loop's thread, call_soon_threadsafe keeps FIFO order with call_soon.
  EventLoop loop;
  std::vector<std::string> results;
  auto callback = [&](const std::string& arg) {
    results.push_back(arg);
    if (results.size() >= 2) loop.stop();
  };
  loop.call_soon_threadsafe(callback, "hello");
  loop.call_soon(callback, "world");
  REQUIRE(run_forever_guarded(loop));
  CHECK(results == std::vector<std::string>{"hello", "world"});
}

TEST_CASE("test_events.EventLoopTestsMixin.test_call_soon_threadsafe_same_thread: running") {
  // While the loop runs on this thread, call_soon_threadsafe appends straight to the ready queue.
  EventLoop loop;
  std::vector<std::string> results;
  auto record = [&results](const std::string& s) { results.push_back(s); };
  loop.call_soon([&] {
    loop.call_soon_threadsafe(record, "hello");
    loop.call_soon(record, "world");
  });
  run_once(loop);
  run_once(loop);
  CHECK(results == std::vector<std::string>{"hello", "world"});
}

// ---------------------------------------------------------------- running and closing

TEST_CASE("test_events.EventLoopTestsMixin.test_run_until_complete") {
  // run_until_complete returns the future's result once a timer sets it.
  EventLoop loop;
  asyncio::Future<int> fut(loop);
  const double delay = 0.01;
  double t0 = loop.time();
  loop.call_later(delay, [fut]() mutable { fut.set_result(42); });
  CHECK(loop.run_until_complete(fut) == 42);
  CHECK(loop.time() - t0 >= delay - clock_resolution);
  CHECK_FALSE(loop.is_running());
}

TEST_CASE("test_events.EventLoopTestsMixin.test_run_until_complete_stopped") {
  // stop() before the future is done is a RuntimeError; the future's stop callback is removed.
  EventLoop loop;
  asyncio::Future<int> fut(loop);
  loop.call_soon([&loop] { loop.stop(); });
  CHECK_THROWS_MATCHES(loop.run_until_complete(fut), asyncio::RuntimeError,
                       Message("Event loop stopped before Future completed."));
  fut.set_result(1);  // would schedule a stop() if the callback were still registered
  bool second = false;
  loop.call_soon([&] {
    loop.call_soon([&] {
      second = true;
      loop.stop();
    });
  });
  REQUIRE(run_forever_guarded(loop));
  CHECK(second);
}

TEST_CASE("test_events.EventLoopTestsMixin.test_run_until_complete_nesting") {
  // A running loop cannot be run again from one of its callbacks.
  EventLoop loop;
  asyncio::Future<int> fut(loop);
  std::vector<std::string> errors;
  loop.call_soon([&] {
    CHECK(loop.is_running());
    try {
      loop.run_until_complete(fut);
    } catch (const asyncio::RuntimeError& e) {
      errors.emplace_back(e.what());
    }
    try {
      loop.run_forever();
    } catch (const asyncio::RuntimeError& e) {
      errors.emplace_back(e.what());
    }
    loop.stop();
  });
  loop.run_forever();
  const std::string msg = "This event loop is already running";
  CHECK(errors == std::vector<std::string>{msg, msg});
}

TEST_CASE("test_events.EventLoopTestsMixin.test_close_running_event_loop") {
  // close() from a callback of the running loop is a RuntimeError and leaves it open.
  EventLoop loop;
  std::string error;
  loop.call_soon([&] {
    try {
      loop.close();
    } catch (const asyncio::RuntimeError& e) {
      error = e.what();
    }
    loop.stop();
  });
  loop.run_forever();
  CHECK(error == "Cannot close a running event loop");
  CHECK_FALSE(loop.is_closed());
}

TEST_CASE("test_events.EventLoopTestsMixin.test_close") {
  // Every scheduling method of a closed loop raises RuntimeError("Event loop is closed").
  EventLoop loop;
  SocketPair sp;
  asyncio::Future<int> fut(loop);
  loop.close();
  loop.close();  // test_selector_events' test_close: a second close() is a no-op
  CHECK(loop.is_closed());
  const auto closed = Message("Event loop is closed");
  CHECK_THROWS_MATCHES(loop.run_forever(), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.run_until_complete(fut), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.call_soon(Noop{}), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.call_soon_threadsafe(Noop{}), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.call_later(1.0, Noop{}), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.call_at(loop.time(), Noop{}), asyncio::RuntimeError, closed);
  // test_add_fds_after_closing
  CHECK_THROWS_MATCHES(loop.add_reader(sp.a, Noop{}), asyncio::RuntimeError, closed);
  CHECK_THROWS_MATCHES(loop.add_writer(sp.b, Noop{}), asyncio::RuntimeError, closed);
  std::string from_thread;
  std::thread t([&] {
    try {
      loop.call_soon_threadsafe(Noop{});
    } catch (const asyncio::RuntimeError& e) {
      from_thread = e.what();
    }
  });
  t.join();
  CHECK(from_thread == "Event loop is closed");
}

TEST_CASE("test_events.EventLoopTestsMixin.test_remove_fds_after_closing") {
  // remove_reader/remove_writer of a closed loop return false; the fds stay open.
  SocketPair sp;
  EventLoop loop;
  loop.add_reader(sp.a, Noop{});
  loop.add_writer(sp.b, Noop{});
  loop.close();
  CHECK_FALSE(loop.remove_reader(sp.a));
  CHECK_FALSE(loop.remove_writer(sp.b));
  CHECK(is_open(sp.a));
  CHECK(is_open(sp.b));
}

TEST_CASE("test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop") {
  // get_running_loop() is the loop running on this thread, and only while it runs.
  CHECK_THROWS_MATCHES(asyncio::get_running_loop(), asyncio::RuntimeError,
                       Message("no running event loop"));
  EventLoop loop;
  EventLoop* inside = nullptr;
  std::string other_thread;
  loop.call_soon([&] {
    inside = &asyncio::get_running_loop();
    std::thread t([&] {
      try {
        asyncio::get_running_loop();
      } catch (const asyncio::RuntimeError& e) {
        other_thread = e.what();
      }
    });
    t.join();
  });
  run_once(loop);
  CHECK(inside == &loop);
  CHECK(other_thread == "no running event loop");
  CHECK_THROWS_MATCHES(asyncio::get_running_loop(), asyncio::RuntimeError,
                       Message("no running event loop"));
}

// ---------------------------------------------------------------- readers and writers

TEST_CASE("test_events.EventLoopTestsMixin.test_reader_callback") {
  // The reader runs as data arrives; at EOF it removes itself and closes its socket.
  EventLoop loop;
  SocketPair sp;
  std::string bytes_read;
  std::size_t want = 3;
  bool removed = false;
  loop.add_reader(sp.a, [&] {
    char buf[1024];
    ssize_t n = ::recv(sp.a, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return;  // spurious readiness is allowed
    if (n > 0) {
      bytes_read.append(buf, static_cast<std::size_t>(n));
      if (bytes_read.size() >= want) loop.stop();
      return;
    }
    removed = loop.remove_reader(sp.a);
    ::close(std::exchange(sp.a, -1));
    loop.stop();
  });
  loop.call_soon([&sp] { send_all(sp.b, "abc"); });
  REQUIRE(run_forever_guarded(loop));
  want = 6;
  loop.call_soon([&sp] { send_all(sp.b, "def"); });
  REQUIRE(run_forever_guarded(loop));
  loop.call_soon([&sp] { ::close(std::exchange(sp.b, -1)); });
  REQUIRE(run_forever_guarded(loop));
  CHECK(bytes_read == "abcdef");
  CHECK(removed);
}

TEST_CASE("test_events.EventLoopTestsMixin.test_writer_callback") {
  // The writer runs once the socket is writable; remove_writer is true once, then false.
  EventLoop loop;
  SocketPair sp;
  const std::string data(1024, 'x');
  loop.add_writer(
      sp.b,
      [&](const std::string& payload) {
        send_all(sp.b, payload);
        loop.stop();
      },
      data);
  REQUIRE(run_forever_guarded(loop));
  CHECK(loop.remove_writer(sp.b));
  CHECK_FALSE(loop.remove_writer(sp.b));
  ::close(std::exchange(sp.b, -1));
  std::string read(data.size() * 2, '\0');
  ssize_t n = ::recv(sp.a, read.data(), read.size(), 0);
  REQUIRE(n >= 0);
  read.resize(static_cast<std::size_t>(n));
  CHECK(read == data);
}

TEST_CASE("test_events.EventLoopTestsMixin.test_reader_callback: level-triggered readiness") {
  // select() reports an fd on every poll while it stays ready: with data left unread the reader
  // runs in every iteration, and so does the writer of a socket that stays writable.
  EventLoop loop;
  SocketPair sp;
  REQUIRE(send_all(sp.b, "x"));
  int reads = 0;
  int writes = 0;
  loop.add_reader(sp.a, [&reads] { ++reads; });
  loop.add_writer(sp.b, [&writes] { ++writes; });
  constexpr int iterations = 6;
  run_iterations(loop, iterations);
  CHECK(reads >= iterations - 1);
  CHECK(writes >= iterations - 1);
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_process_events_read_write") {
  // For one fd that is both readable and writable, the reader runs before the writer.
  EventLoop loop;
  SocketPair sp;
  REQUIRE(send_all(sp.b, "x"));
  std::vector<std::string> order;
  loop.add_writer(sp.a, [&] {
    order.push_back("writer");
    loop.stop();
  });
  loop.add_reader(sp.a, [&] { order.push_back("reader"); });
  REQUIRE(run_forever_guarded(loop));
  CHECK(order == std::vector<std::string>{"reader", "writer"});
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_add_reader_existing") {
  // A second add_reader replaces the first, whose handle is cancelled (callable released).
  EventLoop loop;
  SocketPair sp;
  REQUIRE(send_all(sp.b, "x"));
  auto token = std::make_shared<int>(0);
  int first = 0;
  int second = 0;
  loop.add_reader(sp.a, [&first, token] { ++first; });
  CHECK(token.use_count() == 2);
  loop.add_reader(sp.a, [&] {
    ++second;
    loop.stop();
  });
  CHECK(token.use_count() == 1);
  REQUIRE(run_forever_guarded(loop));
  CHECK(first == 0);
  CHECK(second == 1);
  CHECK(loop.remove_reader(sp.a));
  CHECK_FALSE(loop.remove_reader(sp.a));
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_remove_reader_unknown") {
  // Removing what was never added is false, also for the other direction of a watched fd.
  EventLoop loop;
  SocketPair sp;
  CHECK_FALSE(loop.remove_reader(sp.a));
  CHECK_FALSE(loop.remove_writer(sp.a));
  CHECK_FALSE(loop.remove_reader(12345));
  loop.add_writer(sp.a, Noop{});
  CHECK_FALSE(loop.remove_reader(sp.a));
  CHECK(loop.remove_writer(sp.a));
  CHECK_FALSE(loop.remove_writer(sp.a));
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_remove_reader_read_write") {
  // Removing the reader of an fd keeps its writer; re-adding a reader afterwards works.
  EventLoop loop;
  SocketPair sp;
  REQUIRE(send_all(sp.b, "x"));
  int reads = 0;
  int writes = 0;
  loop.add_reader(sp.a, [&reads] { ++reads; });
  loop.add_writer(sp.a, [&] {
    ++writes;
    loop.stop();
  });
  CHECK(loop.remove_reader(sp.a));
  REQUIRE(run_forever_guarded(loop));
  CHECK(reads == 0);
  CHECK(writes == 1);
  CHECK(loop.remove_writer(sp.a));
  loop.add_reader(sp.a, [&] {
    ++reads;
    loop.stop();
  });
  REQUIRE(run_forever_guarded(loop));
  CHECK(reads == 1);
  CHECK(writes == 1);
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_add_reader: invalid fds") {
  // OSError(EBADF) for a closed fd, OSError(EPERM) for a regular file (epoll's answer),
  // ValueError for a negative fd; nothing stays registered after a failure.
  EventLoop loop;
  test_support::make_reactor(loop);  // its fds must not take the closed fd's number
  SECTION("closed fd: EBADF") {
    int fd;
    {
      SocketPair sp;
      fd = sp.a;
    }
    auto err = system_error_of([&] { loop.add_reader(fd, Noop{}); });
    REQUIRE(err);
    CHECK(err->code() == std::error_code(EBADF, std::system_category()));
    err = system_error_of([&] { loop.add_writer(fd, Noop{}); });
    REQUIRE(err);
    CHECK(err->code().value() == EBADF);
    CHECK_FALSE(loop.remove_reader(fd));
    CHECK_FALSE(loop.remove_writer(fd));
  }
  SECTION("fd -1: ValueError") {
    CHECK_THROWS_AS(loop.add_reader(-1, Noop{}), std::invalid_argument);
    CHECK_THROWS_AS(loop.add_writer(-1, Noop{}), std::invalid_argument);
  }
  SECTION("regular file: EPERM, fd left open") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    int fd = ::fileno(file);
    auto err = system_error_of([&] { loop.add_reader(fd, Noop{}); });
    REQUIRE(err);
    CHECK(err->code() == std::error_code(EPERM, std::system_category()));
    CHECK(is_open(fd));
    CHECK_FALSE(loop.remove_reader(fd));
    std::fclose(file);
  }
  // The loop is still usable.
  SocketPair sp;
  REQUIRE(send_all(sp.b, "x"));
  loop.add_reader(sp.a, [&] { loop.stop(); });
  CHECK(run_forever_guarded(loop));
}

TEST_CASE("test_selector_events.BaseSelectorEventLoopTests.test_add_reader: fd left untouched") {
  // The loop only waits on the fd: its O_NONBLOCK flag never changes and it is never closed.
  bool nonblocking = GENERATE(false, true);
  CAPTURE(nonblocking);
  SocketPair sp;
  if (nonblocking) ::fcntl(sp.a, F_SETFL, ::fcntl(sp.a, F_GETFL) | O_NONBLOCK);
  const int flags = ::fcntl(sp.a, F_GETFL);
  REQUIRE(flags != -1);
  {
    EventLoop loop;
    REQUIRE(send_all(sp.b, "x"));
    loop.add_reader(sp.a, [&] { loop.stop(); });
    loop.add_writer(sp.a, Noop{});
    CHECK(::fcntl(sp.a, F_GETFL) == flags);
    REQUIRE(run_forever_guarded(loop));
    CHECK(::fcntl(sp.a, F_GETFL) == flags);
    CHECK(loop.remove_reader(sp.a));
    CHECK(loop.remove_writer(sp.a));
    CHECK(::fcntl(sp.a, F_GETFL) == flags);
    loop.add_reader(sp.a, Noop{});
    loop.close();  // with a reader still registered
    CHECK(::fcntl(sp.a, F_GETFL) == flags);
  }
  {
    EventLoop loop;
    loop.add_reader(sp.a, Noop{});
  }  // destroyed with a reader still registered
  CHECK(::fcntl(sp.a, F_GETFL) == flags);
}

// ---------------------------------------------------------------- handles

TEST_CASE("test_events.HandleTests.test_handle") {
  // A handle is a shared reference: cancel() through any copy cancels the callback.
  EventLoop loop;
  int calls = 0;
  asyncio::Handle h = loop.call_soon([&calls] { ++calls; });
  asyncio::Handle copy = h;
  CHECK(copy == h);
  CHECK_FALSE(h.cancelled());
  copy.cancel();
  CHECK(h.cancelled());
  run_once(loop);
  CHECK(calls == 0);
  asyncio::Handle empty;
  CHECK_FALSE(static_cast<bool>(empty));
  CHECK_FALSE(empty.cancelled());
  empty.cancel();  // a no-op
}

TEST_CASE("test_events.HandleTests.test_handle_repr") {
  // "<Handle f(args)>", "<Handle cancelled>", and TimerTests.test_timer_repr's "when=".
  EventLoop loop;
  asyncio::Handle h = loop.call_soon(Noop{}, 1, 2);
  CHECK_THAT(h.repr(), StartsWith("<Handle"));
  CHECK(h.repr() == "<Handle test_support::Noop(1, 2)>");
  h.cancel();
  CHECK(h.repr() == "<Handle cancelled>");
  asyncio::Handle args = loop.call_soon(Noop{}, std::string("x"), 1.5, true, -3);
  CHECK(args.repr() == "<Handle test_support::Noop('x', 1.5, True, -3)>");
  args.cancel();

  asyncio::TimerHandle t = loop.call_at(123.0, Noop{});
  CHECK(t.repr() == "<TimerHandle when=123.0 test_support::Noop()>");
  t.cancel();
  CHECK(t.repr() == "<TimerHandle cancelled when=123.0>");
}

TEST_CASE("test_events.HandleTests.test_callback_with_exception") {
  // A throwing callback reaches the exception handler with its message, exception and handle.
  EventLoop loop;
  std::vector<asyncio::ExceptionContext> contexts;
  loop.set_exception_handler(
      [&contexts](EventLoop&, const asyncio::ExceptionContext& ctx) { contexts.push_back(ctx); });
  asyncio::Handle h = loop.call_soon([] { throw std::invalid_argument("bad"); });
  run_once(loop);
  REQUIRE(contexts.size() == 1);
  CHECK_THAT(contexts[0].message, StartsWith("Exception in callback "));
  CHECK(contexts[0].handle == h);
  CHECK_THROWS_MATCHES(std::rethrow_exception(contexts[0].exception), std::invalid_argument,
                       Message("bad"));
}

TEST_CASE("test_events.TimerTests.test_when") {
  // when() is exactly the deadline given to call_at; TimerTests.test_timer: cancel().
  EventLoop loop;
  double when = loop.time() + 60;
  asyncio::TimerHandle h = loop.call_at(when, Noop{});
  CHECK(h.when() == when);
  CHECK_FALSE(h.cancelled());
  h.cancel();
  CHECK(h.cancelled());
  CHECK(h.when() == when);
  CHECK(asyncio::TimerHandle().when() == 0.0);
}
