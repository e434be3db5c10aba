// Mirrors CPython test_subprocess.SubprocessMixin.test_stdin_not_inheritable and Popen's
// close_fds=True / restore_signals=True: a child sees only fds 0, 1 and 2 (plus pass_fds)
// even when the parent holds inheritable fds (one of them numbered high) and the loop's own
// fds; the parent's pipe
// ends of the child's stdio are not inherited either; SIGPIPE is back to its default
// action in the child and no signal is blocked there.
#include <asyncio/asyncio.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

// The shell's own fds (the trailing ':' keeps sh from exec'ing ls).
const std::string LIST_FDS = "ls /proc/$$/fd; :";
const std::string SIGNALS = "grep -E '^Sig(Blk|Ign):' /proc/self/status";
constexpr std::uint64_t SIGPIPE_BIT = std::uint64_t{1} << (13 - 1);

Coro<std::vector<int>> child_fds(asyncio::SubprocessOptions options) {
  options.stdout_ = PIPE;
  auto proc = co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", LIST_FDS), options);
  auto [out, err] = co_await proc.communicate();
  std::istringstream in(*out);
  std::vector<int> fds;
  for (int fd; in >> fd;) fds.push_back(fd);
  std::sort(fds.begin(), fds.end());
  co_return fds;
}

Coro<> amain() {
  std::vector<std::pair<int, int>> extra;
  for (int i = 0; i < 3; ++i) {
    int fds[2];
    if (::pipe(fds) != 0) co_return;  // inheritable, as os.set_inheritable(fd, True) makes them
    extra.emplace_back(fds[0], fds[1]);
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  int high = static_cast<int>(std::min<rlim_t>(limit.rlim_cur - 1, 5000));
  ::dup2(extra[0].first, high);  // inheritable, like the others
  trace::print("parent holds extra fds:", open_fd_count() > 3 + 7);
  trace::print("child with stdout only:", int_list(co_await child_fds({})));
  trace::print("child with all three pipes:", int_list(co_await child_fds(stdio(PIPE, {}, PIPE))));
  int passed = extra[1].second;
  asyncio::SubprocessOptions with_pass;
  with_pass.pass_fds.push_back(passed);
  std::vector<int> fds = co_await child_fds(with_pass);
  std::vector<std::string> shown;
  for (int fd : fds) shown.push_back(fd == passed ? "'passed'" : std::to_string(fd));
  trace::print("child with pass_fds:", raw_list(shown));

  auto proc =
      co_await asyncio::create_subprocess_exec("/bin/sh", args("-c", SIGNALS), stdio({}, PIPE));
  auto [out, err] = co_await proc.communicate();
  std::map<std::string, std::uint64_t> masks;
  std::istringstream lines(*out);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(':');
    masks[line.substr(0, colon)] = std::stoull(line.substr(colon + 1), nullptr, 16);
  }
  trace::print("child blocks no signal:", masks.count("SigBlk") && masks["SigBlk"] == 0);
  trace::print("child ignores SIGPIPE:", (masks["SigIgn"] & SIGPIPE_BIT) != 0);
  for (auto [r, w] : extra) {
    ::close(r);
    ::close(w);
  }
  ::close(high);
}

int main() {
  asyncio::run(amain());
}
