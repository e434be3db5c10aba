// isinstance() for an exception_ptr.
#pragma once

#include <exception>

namespace asyncio::detail {

// Whether `exc` holds an E (or something derived from it).
template <class E>
bool exception_is(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace asyncio::detail
