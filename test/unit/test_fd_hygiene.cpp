// fd hygiene: every fd the library creates is close-on-exec, and none outlives the loop.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <set>
#include <string>

extern char** environ;

namespace {

std::set<int> open_fds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

// A loop with every kind of fd-backed machinery switched on.
void exercise(asyncio::EventLoop& loop, int watched_fd) {
  loop.add_reader(watched_fd, [] {});
  loop.add_signal_handler(SIGUSR1, [] {});
  loop.call_later(0.001, [&loop] { loop.stop(); });
  loop.run_forever();
}

// The fds a child sees after exec, listed by the child itself.
std::set<int> fds_seen_by_child() {
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const char* argv[] = {"/bin/sh", "-c", "cd /proc/self/fd && echo *", nullptr};
  pid_t pid;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  REQUIRE(rc == 0);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::set<int> fds;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find_first_of(" \n", pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) fds.insert(std::stoi(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return fds;
}

}  // namespace

TEST_CASE("fd hygiene: every fd the loop creates is close-on-exec") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  std::set<int> before = open_fds();
  {
    asyncio::EventLoop loop;
    exercise(loop, sv[0]);
    std::set<int> during = open_fds();
    std::set<int> created;
    for (int fd : during) {
      if (before.count(fd) == 0) created.insert(fd);
    }
    CHECK(created.size() >= 3);  // epoll, the self-pipe's two ends, and Asio's own
    for (int fd : created) {
      INFO("fd " << fd);
      CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    }
    // A child started now inherits none of them.
    for (int fd : fds_seen_by_child()) {
      INFO("the child inherited fd " << fd);
      CHECK(created.count(fd) == 0);
    }
  }
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_CASE("fd hygiene: no fd outlives the loop, owned or sharing a host io_context") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  std::set<int> before = open_fds();
  {
    asyncio::EventLoop loop;
    exercise(loop, sv[0]);
  }
  CHECK(open_fds() == before);
  {
    boost::asio::io_context host;
    boost::asio::steady_timer host_timer(host);  // the host's reactor fds exist from here on
    std::set<int> with_host = open_fds();
    {
      asyncio::EventLoop loop(host);
      exercise(loop, sv[0]);
      loop.close();
      CHECK(open_fds() == with_host);  // close() alone gives back the loop's own fds
    }
  }
  CHECK(open_fds() == before);
  CHECK((::fcntl(sv[0], F_GETFD) != -1));  // the watched fd was never closed by the loop
  ::close(sv[0]);
  ::close(sv[1]);
}
