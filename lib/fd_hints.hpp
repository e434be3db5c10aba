// What transports tell the loop about their fds, so that it can wait more cheaply.
#pragma once

namespace asyncio {
class EventLoop;
}

namespace asyncio::detail {

// The reader of `fd` just emptied it (a short read or EAGAIN): until the next event there is
// nothing to see, so the loop may wait for the next edge instead of re-checking the level.
void note_drained(EventLoop& loop, int fd) noexcept;

// remove_reader/remove_writer and close(fd) in one, for an fd the caller owns (a pidfd):
// closing takes the fd out of epoll, so the loop skips its EPOLL_CTL_DEL.
void unwatch_and_close(EventLoop& loop, int fd) noexcept;

}  // namespace asyncio::detail
