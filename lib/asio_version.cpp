// The Asio version tag the public headers refer to (asyncio/detail/asio_version.hpp): defined
// for the Asio this library is compiled with, and no other. Exported and extern "C" by the
// header's declaration.
#include <asyncio/detail/asio_version.hpp>

extern "C" {
const int ASYNCIO_CPP_ASIO_VERSION_TAG = BOOST_ASIO_VERSION;
}
