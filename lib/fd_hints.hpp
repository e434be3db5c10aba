// What transports tell the loop about their fds, so that it can wait more cheaply.
#pragma once

namespace asyncio {
class EventLoop;
class BaseTransport;
}  // namespace asyncio

namespace asyncio::detail {

// The reader of `fd` just emptied it (a short read or EAGAIN): until the next event there is
// nothing to see, so the loop may wait for the next edge instead of re-checking the level.
void note_drained(EventLoop& loop, int fd) noexcept;

// remove_reader/remove_writer and close(fd) in one, for an fd the caller owns (a pidfd):
// closing takes the fd out of epoll, so the loop skips its EPOLL_CTL_DEL.
void unwatch_and_close(EventLoop& loop, int fd) noexcept;

// asyncio's loop._transports: while a socket transport owns `fd`, add_reader, add_writer,
// remove_* and the sock_* methods raise RuntimeError("File descriptor N is used by transport
// <...>") unless it is closing. The transport releases the fd before it closes it.
void claim_fd(EventLoop& loop, int fd, const BaseTransport& owner);
void release_fd(EventLoop& loop, int fd) noexcept;
// For an fd the kernel just handed out: a registration the loop still has for that number was
// left behind by a user who closed the old fd without remove_reader()/remove_writer(). It can
// never fire again and would swallow the new fd's watches, so it is dropped and reported
// through the exception handler.
void forget_stale_watch(EventLoop& loop, int fd) noexcept;
// The check the public methods make; also for sock_recv & co.
void ensure_fd_no_transport(EventLoop& loop, int fd);

}  // namespace asyncio::detail
