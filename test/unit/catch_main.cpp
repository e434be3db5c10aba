#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// No TSan suppressions. libstdc++ is not built with TSan, so the reference counts of an
// exception_ptr are invisible to it: an exception freed on one thread after another read it
// would look like a race. The library avoids that instead of hiding it: a result handed to the
// loop's thread (run_in_executor, wrap_future) is moved out of the posted callback, so the
// thread that reads it is the one that frees it.
