// Helpers shared by the unit tests that port CPython's test_asyncio (test_utils' role).
#pragma once

#include <asyncio/asyncio.hpp>

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace test_support {

// A loop's reactor (Asio's epoll: three fds) comes with the first fd, signal or Asio timer
// it watches (docs/04-architecture.md, "Wakeups and the self-pipe"). A test that counts fds,
// or needs a closed fd's number to stay free, makes it first.
inline void make_reactor(asyncio::EventLoop& loop) {
  boost::asio::use_service<boost::asio::detail::reactor>(loop.io_context());
}

// A one-shot flag another thread can wait for (safety net: 10 s).
class Signal {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

// The sanitizer runtimes need free fds of their own (UBSan's vptr check probes memory
// through a pipe), so tests that exhaust fds would get false reports: they skip there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

// test_utils.run_once: schedule stop() and run until the batch holding it is done.
inline void run_once(asyncio::EventLoop& loop) {
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
}

// Runs until a callback stops the loop. False if the safety-net timer had to stop it.
inline bool run_forever_guarded(asyncio::EventLoop& loop, double limit = 10.0) {
  bool timed_out = false;
  asyncio::TimerHandle guard = loop.call_later(limit, [&] {
    timed_out = true;
    loop.stop();
  });
  loop.run_forever();
  guard.cancel();
  return !timed_out;
}

// Runs the loop until `done` holds; a 10 s timer is only a safety net.
template <class Done>
bool run_until(asyncio::EventLoop& loop, Done done) {
  std::function<void()> check = [&] {
    if (done()) {
      loop.stop();
    } else {
      loop.call_soon(check);
    }
  };
  bool timed_out = false;
  auto guard = loop.call_later(10, [&] {
    timed_out = true;
    loop.stop();
  });
  loop.call_soon(check);
  loop.run_forever();
  guard.cancel();
  return !timed_out;
}

// Storms ([stress]) run reduced unless ASYNCIO_CPP_STRESS=full asks for their full size.
inline bool full_size() {
  const char* v = std::getenv("ASYNCIO_CPP_STRESS");
  return v != nullptr && std::string_view(v) == "full";
}

inline int stress_size(int full, int reduced) {
  return full_size() ? full : reduced;
}

// From another thread: posts a ping to `loop` and waits for the loop to run it, so that a
// producer does not run ahead of the loop. False when `limit` passed first (a safety net).
template <class Rep, class Period>
bool loop_answers(asyncio::EventLoop& loop, std::chrono::duration<Rep, Period> limit) {
  auto pong = std::make_shared<std::promise<void>>();
  std::future<void> answer = pong->get_future();
  loop.call_soon_threadsafe([pong] { pong->set_value(); });
  return answer.wait_for(limit) == std::future_status::ready;
}

// Collects asyncio::log records; the default sink is back once it goes out of scope.
class LogCapture {
 public:
  struct Record {
    asyncio::LogLevel level;
    std::string text;
  };

  LogCapture() {
    asyncio::set_log_sink([this](asyncio::LogLevel level, std::string_view text) {
      records.push_back({level, std::string(text)});
    });
  }
  ~LogCapture() { asyncio::set_log_sink({}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<Record> records;
};

// A safety net for tests that must not use a loop timer (it would change the poll timeout):
// if not disarmed in time, it wakes the loop from another thread and stops it.
class Watchdog {
 public:
  explicit Watchdog(asyncio::EventLoop& loop, std::chrono::seconds limit = std::chrono::seconds(10))
      : thread_([this, &loop, limit] {
          std::unique_lock lock(mutex_);
          if (cv_.wait_for(lock, limit, [this] { return disarmed_; })) return;
          fired_ = true;
          loop.call_soon_threadsafe([&loop] { loop.stop(); });
        }) {}
  ~Watchdog() { disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // True when the watchdog did not have to intervene.
  bool disarm() {
    {
      std::lock_guard lock(mutex_);
      disarmed_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return !fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;  // last: starts once the members above exist
};

// socket.socketpair(): both ends blocking, closed on destruction unless released.
struct SocketPair {
  SocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
      throw std::system_error(errno, std::system_category());
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  int a = -1;
  int b = -1;
};

// what() of the E that f throws, "<other exception>" when it throws something else, or
// "<none>" when it throws nothing.
template <class E, class F>
std::string error_text(F&& f) {
  try {
    f();
    return "<none>";
  } catch (const E& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
}

// Named callables, so that reprs and messages show a stable name (like `noop` in CPython).
struct Noop {
  template <class... A>
  void operator()(const A&...) const {}
};

}  // namespace test_support
