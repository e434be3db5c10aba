// OSError and its subclasses (exceptions.hpp), mirroring CPython's test_pep3151 (PEP 3151's
// errno-to-class mapping) and the str() forms of test_exceptions, plus the asyncio places that
// raise them.
#include <asyncio/asyncio.hpp>
#include <asyncio/ssl.hpp>

#include <netdb.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <exception>
#include <string>
#include <type_traits>

#include "child_support.hpp"

using asyncio::Coro;
using test_support::run_async;

namespace {

// The class name make_os_error picks, read back by catching: asserts the real type, not a tag.
template <class E>
bool makes(int err) {
  try {
    std::rethrow_exception(asyncio::make_os_error(err));
  } catch (const E& e) {
    return e.code().value() == err && e.has_errno();
  } catch (...) {
    return false;
  }
}

}  // namespace

TEST_CASE("errno_mapping: test_pep3151.HierarchyTest.test_errno_mapping", "[oserror]") {
  CHECK(makes<asyncio::BlockingIOError>(EAGAIN));
  CHECK(makes<asyncio::BlockingIOError>(EWOULDBLOCK));
  CHECK(makes<asyncio::BlockingIOError>(EALREADY));
  CHECK(makes<asyncio::BlockingIOError>(EINPROGRESS));
  CHECK(makes<asyncio::ChildProcessError>(ECHILD));
  CHECK(makes<asyncio::BrokenPipeError>(EPIPE));
  CHECK(makes<asyncio::BrokenPipeError>(ESHUTDOWN));
  CHECK(makes<asyncio::ConnectionAbortedError>(ECONNABORTED));
  CHECK(makes<asyncio::ConnectionRefusedError>(ECONNREFUSED));
  CHECK(makes<asyncio::ConnectionResetError>(ECONNRESET));
  CHECK(makes<asyncio::FileExistsError>(EEXIST));
  CHECK(makes<asyncio::FileNotFoundError>(ENOENT));
  CHECK(makes<asyncio::IsADirectoryError>(EISDIR));
  CHECK(makes<asyncio::NotADirectoryError>(ENOTDIR));
  CHECK(makes<asyncio::InterruptedError>(EINTR));
  CHECK(makes<asyncio::PermissionError>(EACCES));
  CHECK(makes<asyncio::PermissionError>(EPERM));
  CHECK(makes<asyncio::ProcessLookupError>(ESRCH));
  CHECK(makes<asyncio::TimeoutError>(ETIMEDOUT));
  // Unmapped errnos stay a plain OSError, whatever subclass a catch would accept.
  CHECK_FALSE(makes<asyncio::ConnectionError>(EADDRINUSE));
  CHECK(std::string(asyncio::os_error_name(EADDRINUSE)) == "OSError");
  CHECK(std::string(asyncio::os_error_name(ECONNREFUSED)) == "ConnectionRefusedError");
}

TEST_CASE("builtin_errors: test_pep3151.HierarchyTest.test_builtin_errors", "[oserror]") {
  STATIC_REQUIRE(std::is_base_of_v<std::system_error, asyncio::OSError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::ConnectionError, asyncio::BrokenPipeError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::ConnectionError, asyncio::ConnectionAbortedError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::ConnectionError, asyncio::ConnectionRefusedError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::ConnectionError, asyncio::ConnectionResetError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::OSError, asyncio::TimeoutError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::OSError, asyncio::gaierror>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::OSError, asyncio::ssl::SSLError>);
  // A timeout is still caught as std::exception: one std::exception base, not two.
  bool caught = false;
  try {
    throw asyncio::TimeoutError();
  } catch (const std::exception& e) {
    caught = std::string(e.what()).empty();
  }
  CHECK(caught);
}

TEST_CASE("oserror_str: test_exceptions.ExceptionTests.testAttributes", "[oserror]") {
  asyncio::OSError plain(ENOENT);
  CHECK(std::string(plain.what()) == "[Errno 2] No such file or directory");
  CHECK(plain.strerror() == "No such file or directory");
  CHECK_FALSE(plain.filename());
  asyncio::OSError named(ENOENT, "No such file or directory", "x.txt");
  CHECK(std::string(named.what()) == "[Errno 2] No such file or directory: 'x.txt'");
  CHECK(named.filename() == "x.txt");
  asyncio::OSError bare("Multiple exceptions: a, b");  // OSError(msg): errno None
  CHECK_FALSE(bare.has_errno());
  CHECK(bare.code().value() == 0);
  CHECK(std::string(bare.what()) == "Multiple exceptions: a, b");
  asyncio::gaierror gai(EAI_NONAME);
  CHECK(gai.code().value() == EAI_NONAME);
  CHECK(std::string(gai.what()) == "[Errno -2] Name or service not known");
  CHECK(asyncio::describe_exception(asyncio::make_os_error(ECONNREFUSED)) ==
        "asyncio::ConnectionRefusedError: [Errno 111] Connection refused");
}

TEST_CASE(
    "timeout_is_oserror: test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0",
    "[oserror]") {
  // `except OSError` catches asyncio.TimeoutError, which is the builtin TimeoutError (3.11).
  bool caught = false;
  run_async([&]() -> Coro<void> {
    try {
      co_await asyncio::wait_for(asyncio::sleep(3600), 0.0);
    } catch (const asyncio::OSError& e) {
      caught = !e.has_errno();
    }
  });
  CHECK(caught);
}

TEST_CASE(
    "bind_error_text: "
    "test_base_events.BaseEventLoopWithSelectorTests.test_create_server_bind_errors",
    "[oserror]") {
  // 3.13's wording, as the bind loop follows 3.13 (3.11 and 3.12 lower-case exc.strerror
  // alone: "...: address already in use").
  std::string text;
  int err = 0;
  run_async([&]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
    auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
    const int port = server->addresses().at(0).port;
    try {
      co_await loop.create_server(factory, "127.0.0.1", port);
    } catch (const asyncio::OSError& e) {
      text = e.what();
      err = e.code().value();
    }
    server->close();
    co_await server->wait_closed();
  });
  CHECK(err == EADDRINUSE);
  CHECK(text.starts_with("[Errno 98] error while attempting to bind on address ('127.0.0.1', "));
  CHECK(text.ends_with("): [errno 98] address already in use"));
}

TEST_CASE("ipv6_repr: test_base_events.BaseEventTests.test_ipaddr_info", "[oserror]") {
  // Python's AF_INET6 address is a 4-tuple: (host, port, flowinfo, scope_id).
  asyncio::SockAddr six{AF_INET6, "::1", 8080};
  CHECK(six.repr() == "('::1', 8080, 0, 0)");
  six.scope_id = 2;
  CHECK(six.repr() == "('::1', 8080, 0, 2)");
  asyncio::SockAddr four{AF_INET, "127.0.0.1", 8080};
  CHECK(four.repr() == "('127.0.0.1', 8080)");
}

TEST_CASE("sleep_as_coroutine: test_tasks.BaseTaskTests.test_gather_shield", "[oserror]") {
  // asyncio.sleep() is a coroutine: create_task, gather and shield take it as one.
  int ran = 0;
  run_async([&]() -> Coro<void> {
    auto task = asyncio::create_task(asyncio::sleep(0));
    co_await asyncio::gather(asyncio::sleep(0), asyncio::sleep(0.001));
    co_await task;
    co_await asyncio::shield(asyncio::sleep(0));
    ran = task.done() ? 1 : 0;
  });
  CHECK(ran == 1);
}
