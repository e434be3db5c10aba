// Helpers shared by the networking unit tests (test_server.cpp, test_ssl.cpp).
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>

#include "conformance/proc_trace.hpp"

#include <exception>
#include <system_error>
#include <utility>

namespace test_support {

// The errno an OSError carries; -1 for anything else.
inline int errno_of(const std::exception_ptr& exc) {
  return proc_trace::error_code(exc);
}

using proc_trace::fd_is_open;

inline asyncio::Coro<void> yield_once() {
  co_await asyncio::sleep(0);
}

// `times` loop iterations.
inline void spin(asyncio::EventLoop& loop, int times = 1) {
  for (int i = 0; i < times; ++i) loop.run_until_complete(yield_once());
}

// Runs a coroutine, or waits for a future, with a safety-net timeout.
template <class T>
T run(asyncio::EventLoop& loop, asyncio::Coro<T> body, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(std::move(body), limit));
}

template <class T>
T wait(asyncio::EventLoop& loop, asyncio::Future<T> fut, double limit = 20.0) {
  return loop.run_until_complete(asyncio::wait_for(fut, limit));
}

// How many fds the process has open.
inline int open_fd_count() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

}  // namespace test_support
