// An application compiled against other Boost.Asio headers than the library was built with.
// Only the version macro is faked here; install_tree.cmake expects the link to fail on the
// version tag (asyncio/detail/asio_version.hpp).
#include <boost/asio/version.hpp>
#undef BOOST_ASIO_VERSION
#define BOOST_ASIO_VERSION 999999

#include <asyncio/asyncio.hpp>

int main() {
  asyncio::EventLoop loop;
  loop.close();
  return 0;
}
