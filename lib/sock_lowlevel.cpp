// The loop's low-level socket coroutines (selector_events' sock_recv & co.) on a socket the
// caller owns, and sock_sendfile (base_events' checks and fallback, unix_events' sendfile(2)).
#include "linux/sigpipe.hpp"
#include "socket_utils.hpp"

#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/threads.hpp>

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace asyncio {

namespace {

// Waits until fd is readable (or writable); the watch goes away however the wait ends, so a
// cancelled sock_* call leaves no reader or writer behind.
Coro<void> wait_ready(EventLoop& loop, int fd, bool for_write) {
  Future<void> ready = loop.create_future<void>();
  auto wake = [ready]() mutable {
    if (!ready.done()) ready.set_result();
  };
  if (for_write)
    loop.add_writer(fd, wake);
  else
    loop.add_reader(fd, wake);
  struct Unwatch {
    EventLoop& loop;
    int fd;
    bool for_write;
    ~Unwatch() { for_write ? loop.remove_writer(fd) : loop.remove_reader(fd); }
  } unwatch{loop, fd, for_write};
  co_await ready;
}

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// In debug mode, as in asyncio: a blocking socket would stall the whole loop in recv/send.
void check_nonblocking(EventLoop& loop, int fd) {
  if (!loop.get_debug()) return;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_os_error(errno);
  if ((flags & O_NONBLOCK) == 0) throw std::invalid_argument("the socket must be non-blocking");
}

// recvfrom(2)'s address: none (family 0) when the socket gave no address, as for TCP.
SockAddr sender_of(const sockaddr_storage& ss, socklen_t len) {
  if (len == 0) return {};
  return detail::to_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
}

}  // namespace

Coro<std::size_t> EventLoop::sock_recv_into(int fd, std::span<char> buffer) {
  check_nonblocking(*this, fd);
  while (true) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (!would_block(errno)) throw_os_error(errno);
    co_await wait_ready(*this, fd, false);
  }
}

Coro<std::string> EventLoop::sock_recv(int fd, std::size_t nbytes) {
  std::string data(nbytes, '\0');
  std::size_t n = co_await sock_recv_into(fd, std::span<char>(data.data(), data.size()));
  data.resize(n);
  co_return data;
}

Coro<std::pair<std::size_t, SockAddr>> EventLoop::sock_recvfrom_into(int fd, std::span<char> buffer,
                                                                     std::size_t nbytes) {
  check_nonblocking(*this, fd);
  if (nbytes == 0) nbytes = buffer.size();  // as asyncio: 0 means the whole buffer
  if (nbytes > buffer.size())
    throw std::invalid_argument("nbytes is greater than the length of the buffer");
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t n = ::recvfrom(fd, buffer.data(), nbytes, 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n >= 0) co_return std::pair(static_cast<std::size_t>(n), sender_of(ss, len));
    if (!would_block(errno)) throw_os_error(errno);
    co_await wait_ready(*this, fd, false);
  }
}

Coro<std::pair<std::string, SockAddr>> EventLoop::sock_recvfrom(int fd, std::size_t bufsize) {
  std::string data(bufsize, '\0');
  auto [n, address] = co_await sock_recvfrom_into(fd, std::span<char>(data.data(), data.size()));
  data.resize(n);
  co_return std::pair(std::move(data), std::move(address));
}

Coro<void> EventLoop::sock_sendall(int fd, std::string data) {
  check_nonblocking(*this, fd);
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      rest.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (!would_block(errno)) throw_os_error(errno);
    co_await wait_ready(*this, fd, true);
  }
}

Coro<std::size_t> EventLoop::sock_sendto(int fd, std::string data, SockAddr address) {
  check_nonblocking(*this, fd);
  sockaddr_storage ss{};
  socklen_t len = detail::from_sockaddr(address, ss);
  while (true) {
    ssize_t n =
        ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), len);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (!would_block(errno)) throw_os_error(errno);
    co_await wait_ready(*this, fd, true);
  }
}

Coro<void> EventLoop::sock_connect(int fd, SockAddr address) {
  check_nonblocking(*this, fd);
  sockaddr_storage ss{};
  socklen_t len = detail::from_sockaddr(address, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) co_return;
  if (errno != EINPROGRESS && errno != EINTR) throw_os_error(errno);  // socket.connect's own
  co_await wait_ready(*this, fd, true);
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  // OSError(err, f'Connect call failed {address}'): a path prints bare, a tuple as its repr.
  if (err != 0)
    throw_os_error(
        err, "Connect call failed " + (address.family == AF_UNIX ? address.host : address.repr()));
}

Coro<std::pair<int, SockAddr>> EventLoop::sock_accept(int fd) {
  check_nonblocking(*this, fd);
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn >= 0) {
      detail::forget_stale_watch(*this, conn);
      co_return std::pair(conn, detail::to_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
    }
    if (!would_block(errno) && errno != ECONNABORTED) throw_os_error(errno);
    co_await wait_ready(*this, fd, false);
  }
}

// ---------------------------------------------------------------- sock_sendfile

namespace {

constexpr std::int64_t fallback_chunk = 256 * 1024;  // SENDFILE_FALLBACK_READBUFFER_SIZE
constexpr std::int64_t sendfile_max = std::int64_t(1) << 30;

// base_events' _check_sendfile_params: only a stream socket, a positive count, an offset >= 0.
void check_sendfile_params(int sock, std::int64_t offset, std::optional<std::int64_t> count) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) != 0) throw_os_error(errno);
  if (type != SOCK_STREAM)
    throw std::invalid_argument("only SOCK_STREAM type sockets are supported");
  if (count && *count <= 0)
    throw std::invalid_argument("count must be a positive integer (got " + std::to_string(*count) +
                                ")");
  if (offset < 0)
    throw std::invalid_argument("offset must be a non-negative integer (got " +
                                std::to_string(offset) + ")");
}

// However the transfer ends (done, failed, cancelled), the file position is left just after
// the bytes sent, if any were, as asyncio does.
struct FilePositionAfter {
  int file;
  std::int64_t start;
  std::int64_t sent = 0;
  ~FilePositionAfter() {
    if (sent > 0) (void)::lseek(file, off_t(start + sent), SEEK_SET);
  }
};

// unix_events' _sock_sendfile_native: sendfile(2) while the socket takes it.
// SendfileNotAvailableError when the file cannot go this way (nothing sent yet).
Coro<std::size_t> sendfile_native(EventLoop& loop, int sock, int file, std::int64_t offset,
                                  std::optional<std::int64_t> count) {
  struct stat st {};
  if (::fstat(file, &st) != 0) throw SendfileNotAvailableError("not a regular file");
  std::int64_t blocksize = count ? *count : std::int64_t(st.st_size);
  if (blocksize == 0) co_return 0;  // an empty file
  FilePositionAfter position{file, offset};
  bool waited = false;
  while (!count || position.sent < *count) {
    if (count) blocksize = *count - position.sent;
    off_t from = off_t(offset + position.sent);
    std::size_t want = std::size_t(std::min(blocksize, sendfile_max));
    ssize_t n = detail::without_sigpipe([&] { return ::sendfile(sock, file, &from, want); });
    if (n == 0) break;  // end of file
    if (n > 0) {
      position.sent += n;
    } else if (int err = errno; !would_block(err)) {
      // Mostly a file sendfile(2) cannot map: the caller may copy instead.
      if (position.sent == 0) throw SendfileNotAvailableError("os.sendfile call failed");
      // A peer gone mid-transfer reads the same on every Unix (asyncio's normalisation).
      if (waited && err == ENOTCONN) throw ConnectionError(ENOTCONN, "socket is not connected");
      throw_os_error(err);
    }
    co_await wait_ready(loop, sock, true);
    waited = true;
  }
  co_return std::size_t(position.sent);
}

// base_events' _sock_sendfile_fallback: read (in the default executor) and sock_sendall.
Coro<std::size_t> sendfile_fallback(EventLoop& loop, int sock, int file, std::int64_t offset,
                                    std::optional<std::int64_t> count) {
  if (offset != 0 && ::lseek(file, off_t(offset), SEEK_SET) < 0) throw_os_error(errno);
  std::int64_t blocksize = count ? std::min(*count, fallback_chunk) : fallback_chunk;
  // Shared with the reading thread, which a cancelled transfer does not wait for.
  auto buffer = std::make_shared<std::string>(std::size_t(blocksize), '\0');
  FilePositionAfter position{file, offset};
  while (true) {
    if (count) {
      blocksize = std::min(*count - position.sent, blocksize);
      if (blocksize <= 0) break;
    }
    auto read_chunk = [buffer, file, want = std::size_t(blocksize)] {
      return detail::blocking_read(file, buffer->data(), want);
    };
    std::size_t got = co_await loop.run_in_executor(nullptr, read_chunk);
    if (got == 0) break;  // end of file
    co_await loop.sock_sendall(sock, buffer->substr(0, got));
    position.sent += std::int64_t(got);
  }
  co_return std::size_t(position.sent);
}

}  // namespace

Coro<std::size_t> EventLoop::sock_sendfile(int sock, int file, std::int64_t offset,
                                           std::optional<std::int64_t> count, bool fallback) {
  check_nonblocking(*this, sock);
  check_sendfile_params(sock, offset, count);
  try {
    co_return co_await sendfile_native(*this, sock, file, offset, count);
  } catch (const SendfileNotAvailableError&) {
    if (!fallback) throw;
  }
  co_return co_await sendfile_fallback(*this, sock, file, offset, count);
}

}  // namespace asyncio
