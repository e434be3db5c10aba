#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// No TSan suppressions. libstdc++ is not built with TSan, so the reference counts of an
// exception_ptr are invisible to it: an exception freed on one thread after another read it
// would look like a race. The library avoids that instead of hiding it: a callback another
// thread posts is destroyed on the loop's thread once it has run (EventLoop::Impl::run_handle),
// so the thread that reads a result is the one that frees it.
