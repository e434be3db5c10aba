// Strict mode (ASYNCIO_CPP_STRICT=1, which CI sets): a test that adapts to the machine (a
// probe, a limit, a privilege) must then find what it needs, or fail. Otherwise it warns and
// checks less, so that a developer's machine without them still passes.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string_view>

namespace test_support {

inline bool strict_mode() {
  const char* value = std::getenv("ASYNCIO_CPP_STRICT");
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace test_support

// What the test could not do, and what it therefore leaves unchecked: a failure in strict mode,
// a warning otherwise. A macro, so that Catch reports the caller's line.
#define STRICT_FAIL_OR_WARN(message)    \
  do {                                  \
    if (test_support::strict_mode()) {  \
      FAIL("strict mode: " << message); \
    } else {                            \
      WARN(message);                    \
    }                                   \
  } while (false)
