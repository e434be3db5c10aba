// Where a handle, future, task or resource was created (docs/04-architecture.md,
// "Observability"): std::source_location itself. Clang 14 over libstdc++ 12 has none; there an
// empty stand-in with the same interface records nothing, and reports simply show no site (as
// coroutines.hpp's CoroOrigin does).
#pragma once

#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

#if defined(__cpp_lib_source_location)
using Site = std::source_location;
#else
struct Site {
  static constexpr Site current() noexcept { return {}; }
  constexpr unsigned line() const noexcept { return 0; }
  constexpr unsigned column() const noexcept { return 0; }
  constexpr const char* file_name() const noexcept { return ""; }
  constexpr const char* function_name() const noexcept { return ""; }
};
#endif

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
