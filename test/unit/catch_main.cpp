#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#if defined(__SANITIZE_THREAD__)
// libstdc++ is not built with TSan, so the atomic reference counts of std::exception_ptr and
// of std::runtime_error's copy-on-write message are invisible to it: a thread that drops the
// last reference to an exception another thread already read looks like a race. Only those
// two release paths are suppressed.
extern "C" const char* __tsan_default_suppressions() {
  return "race:std::runtime_error::~runtime_error\n"
         "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
#endif
