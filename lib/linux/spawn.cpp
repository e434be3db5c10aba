// The launcher. Boost.Process v2 (1.81) is not used to fork: its default launcher leaks
// inherited fds, leaves a zombie when exec fails, and calls io_context::notify_fork in the
// child (a deadlock if another thread holds an Asio mutex); its v2 headers also need
// Boost.Filesystem, which libboost1.81-dev does not build. glibc's posix_spawn runs the
// child on a private stack with CLONE_VFORK, reports exec errors itself and reaps a child
// whose exec failed, so each of those defects is avoided by construction, and it is the
// fastest way to start a process.
#include "linux/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

extern char** environ;

namespace asyncio::detail {

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::system_category(), what);
}

void check(int rc, const char* what) {
  if (rc != 0) throw_errno(rc, what);
}

class FileActions {
 public:
  FileActions() { check(posix_spawn_file_actions_init(&fa_), "posix_spawn_file_actions_init"); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

class Attributes {
 public:
  Attributes() { check(posix_spawnattr_init(&attr_), "posix_spawnattr_init"); }
  ~Attributes() { posix_spawnattr_destroy(&attr_); }
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// Holds fds duplicated for the launch, closed when it is over.
struct TempFds {
  std::vector<int> fds;
  ~TempFds() {
    for (int fd : fds) ::close(fd);
  }
};

// A stdio source below 3 could be overwritten by an earlier dup2 in the child: move it
// above 2 first, as _posixsubprocess does.
int stable_stdio_source(int fd, int target, TempFds& temps) {
  if (fd < 0 || fd > 2 || fd == target) return fd;
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) throw_errno(errno, "fcntl(F_DUPFD_CLOEXEC)");
  temps.fds.push_back(copy);
  return copy;
}

// /dev/null onto its slots, once: the first is opened, the others are dup2s of it. After
// the other dup2s, whose sources are above 2 by then, so that none is overwritten.
void plan_devnull(const SpawnRequest& req, posix_spawn_file_actions_t* fa) {
  int opened = -1;
  for (int target = 0; target < 3; ++target) {
    if (!req.devnull[target]) continue;
    if (opened < 0) {
      check(posix_spawn_file_actions_addopen(fa, target, "/dev/null", O_RDWR, 0), "addopen");
      opened = target;
    } else {
      check(posix_spawn_file_actions_adddup2(fa, opened, target), "adddup2");
    }
  }
}

// dup2 onto 0/1/2 and onto each passed fd (which clears FD_CLOEXEC), then close the rest.
void plan_fds(const SpawnRequest& req, posix_spawn_file_actions_t* fa, TempFds& temps) {
  for (int target = 0; target < 3; ++target) {
    if (req.devnull[target]) continue;
    int fd = stable_stdio_source(req.stdio[target], target, temps);
    if (fd >= 0) check(posix_spawn_file_actions_adddup2(fa, fd, target), "adddup2");
  }
  plan_devnull(req, fa);
  std::vector<int> keep = req.pass_fds;
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  int next = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (::fcntl(fd, F_GETFD) < 0) throw_errno(errno, "pass_fds: fd " + std::to_string(fd));
    for (; next < fd; ++next) check(posix_spawn_file_actions_addclose(fa, next), "addclose");
    check(posix_spawn_file_actions_adddup2(fa, fd, fd), "adddup2");
    next = fd + 1;
  }
  check(posix_spawn_file_actions_addclosefrom_np(fa, next), "addclosefrom");
}

// The child gets SIGPIPE and SIGXFSZ back at their defaults (the loop ignores SIGPIPE),
// like subprocess's restore_signals; handled signals reset to SIG_DFL at exec anyway.
void plan_signals(const SpawnRequest& req, posix_spawnattr_t* attr) {
  short flags = POSIX_SPAWN_SETSIGDEF;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  check(posix_spawnattr_setsigdefault(attr, &defaults), "setsigdefault");
  if (req.new_session) flags |= POSIX_SPAWN_SETSID;
  if (req.process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    check(posix_spawnattr_setpgroup(attr, *req.process_group), "setpgroup");
  }
  check(posix_spawnattr_setflags(attr, flags), "setflags");
}

struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
  char** get() {
    ptrs.clear();
    for (auto& s : storage) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    return ptrs.data();
  }
};

std::string search_path(const SpawnRequest& req) {
  if (req.env != nullptr) {
    auto it = req.env->find("PATH");
    if (it != req.env->end()) return it->second;
    return "/bin:/usr/bin";  // os.defpath
  }
  const char* path = std::getenv("PATH");
  return path != nullptr ? path : "/bin:/usr/bin";
}

// Where execvpe would look, in order: the program itself if it names a path.
std::vector<std::string> candidates(const SpawnRequest& req) {
  const std::string& program = req.argv.at(0);
  if (program.find('/') != std::string::npos) return {program};
  std::vector<std::string> out;
  std::string path = search_path(req);
  std::size_t pos = 0;
  while (true) {
    std::size_t end = path.find(':', pos);
    std::string dir = path.substr(pos, end == std::string::npos ? end : end - pos);
    out.push_back((dir.empty() ? "." : dir) + "/" + program);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

}  // namespace

pid_t spawn_process(const SpawnRequest& req) {
  if (req.argv.empty() || req.argv[0].empty())
    throw std::invalid_argument("the program to run must not be empty");
  TempFds temps;
  FileActions fa;
  Attributes attr;
  plan_fds(req, fa.get(), temps);
  if (req.cwd != nullptr)
    check(posix_spawn_file_actions_addchdir_np(fa.get(), req.cwd->c_str()), "addchdir");
  plan_signals(req, attr.get());

  CStrings argv{req.argv, {}};
  CStrings envp;
  if (req.env != nullptr)
    for (const auto& [key, value] : *req.env) envp.storage.push_back(key + "=" + value);
  char** env = req.env != nullptr ? envp.get() : environ;

  int saved = 0;  // the first error other than "not there", as execvpe reports
  bool searching = req.argv[0].find('/') == std::string::npos;
  for (const std::string& path : candidates(req)) {
    // Skip what is plainly not there without a fork; a cwd makes relative entries moot.
    bool relative = path[0] != '/';
    if (searching && !(relative && req.cwd != nullptr) && ::access(path.c_str(), X_OK) != 0 &&
        (errno == ENOENT || errno == ENOTDIR))
      continue;
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path.c_str(), fa.get(), attr.get(), argv.get(), env);
    if (rc == 0) return pid;
    if (rc != ENOENT && rc != ENOTDIR) {
      if (rc != EACCES) throw_errno(rc, req.argv[0]);
      if (saved == 0) saved = rc;
    }
  }
  throw_errno(saved != 0 ? saved : ENOENT, req.argv[0]);
}

}  // namespace asyncio::detail
