#pragma once
// The Boost.Asio an application compiles against must be the one the library was built with:
// the loop's io_context is shared between both sides, and two Asio versions disagree on its
// layout. Every header that reaches Asio's types includes this one. It makes each translation
// unit refer to a symbol named after the Asio version it sees, which only the library defines,
// for the version it was built with. A mismatch then fails to link, naming the version:
//   undefined reference to `asyncio_cpp_built_with_asio_102600'
#include <boost/asio/version.hpp>

#include <asyncio/detail/export.hpp>

// The library waits on Asio's epoll reactor itself (lib/linux/epoll_edge_wait.cpp).
#if defined(BOOST_ASIO_DISABLE_EPOLL)
#error "asyncio-cpp needs Asio's epoll reactor: do not define BOOST_ASIO_DISABLE_EPOLL"
#endif

#define ASYNCIO_CPP_DETAIL_CAT2(a, b) a##b
#define ASYNCIO_CPP_DETAIL_CAT(a, b) ASYNCIO_CPP_DETAIL_CAT2(a, b)
#define ASYNCIO_CPP_ASIO_VERSION_TAG \
  ASYNCIO_CPP_DETAIL_CAT(asyncio_cpp_built_with_asio_, BOOST_ASIO_VERSION)

extern "C" {
ASYNCIO_CPP_API extern const int ASYNCIO_CPP_ASIO_VERSION_TAG;
}

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {
// `used`: emitted (and so linked) in every translation unit, though nothing reads it.
[[gnu::used]] inline const int* const asio_version_tag = &ASYNCIO_CPP_ASIO_VERSION_TAG;
}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
