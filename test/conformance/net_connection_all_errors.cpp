// Mirrors CPython
// test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_connect_err and
// test_create_connection_multiple_errors: when every address fails, create_connection raises the
// one error (its class kept), or OSError('Multiple exceptions: ...') without errno when they
// differ; with all_errors=True (3.12) an ExceptionGroup of them all.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;

// type(e).__name__ of an OSError that create_connection raised.
std::string type_name(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const asyncio::OSError& e) {
    return e.has_errno() ? os_error_name(e.code().value()) : "OSError";
  } catch (...) {
    return "?";
  }
}

std::string sub_types(const asyncio::ExceptionGroup& eg) {
  std::string out;
  for (const auto& sub : eg.exceptions) out += (out.empty() ? "" : " ") + type_name(sub);
  return out;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  int port = closed_port();
  try {
    co_await loop.create_connection(factory, "127.0.0.1", port);
  } catch (const asyncio::OSError& e) {
    trace::print("one address:", type_name(std::current_exception()), e.code().value());
  }
  asyncio::ConnectionOptions all_errors;
  all_errors.all_errors = true;
  try {
    co_await loop.create_connection(factory, "127.0.0.1", port, all_errors);
  } catch (const asyncio::ExceptionGroup& eg) {
    trace::print("one address, all_errors:", eg.what(), sub_types(eg));
  }

  // No host: the loopback addresses, ::1 and 127.0.0.1, both refused with their own text.
  try {
    co_await loop.create_connection(factory, std::nullopt, port);
  } catch (const asyncio::OSError& e) {
    std::string text = e.what();
    trace::print("two addresses:", type_name(std::current_exception()),
                 e.has_errno() ? std::to_string(e.code().value()) : "None",
                 text.starts_with("Multiple exceptions: "),
                 static_cast<int>(count(text, "Connect call failed")));
  }
  try {
    co_await loop.create_connection(factory, std::nullopt, port, all_errors);
  } catch (const asyncio::ExceptionGroup& eg) {
    trace::print("two addresses, all_errors:", eg.what(), sub_types(eg));
  }
  try {
    co_await asyncio::open_connection("127.0.0.1", port, all_errors);
  } catch (const asyncio::ExceptionGroup& eg) {
    trace::print("open_connection, all_errors:", eg.what());
  }
}

int main() {
  asyncio::run(amain());
}
