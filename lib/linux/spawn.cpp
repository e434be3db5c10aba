// The launcher. Boost.Process v2 (1.81) is not used to fork: its default launcher leaks
// inherited fds, leaves a zombie when exec fails, and calls io_context::notify_fork in the
// child (a deadlock if another thread holds an Asio mutex); its v2 headers also need
// Boost.Filesystem, which libboost1.81-dev does not build. Both launchers here run the child
// with CLONE_VFORK, report its exec error to the parent and reap a child whose exec
// failed, so each of those defects is avoided by construction. The request becomes one
// ChildPlan; clone3_spawn.cpp carries it out where the kernel allows, glibc's posix_spawn
// elsewhere (ASYNCIO_CPP_SPAWN=posix_spawn chooses it always).
#include "linux/spawn.hpp"

#include <asyncio/exceptions.hpp>

#include "linux/clone3_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>

extern char** environ;

namespace asyncio::detail {

namespace {

// Only an exec failure names its file, as Popen's "[Errno 2] No such file or directory: 'x'".
[[noreturn]] void throw_errno(int err, const std::string&) {
  throw_os_error(err);
}

[[noreturn]] void throw_exec_error(int err, const char* program) {
  throw_os_error(err, {}, program);
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
void plan_devnull(const SpawnRequest& req, std::vector<FdAction>& out) {
  int opened = -1;
  for (int target = 0; target < 3; ++target) {
    if (!req.devnull[target]) continue;
    if (opened < 0) {
      out.push_back({FdAction::open_devnull, 0, unsigned(target)});
      opened = target;
    } else {
      out.push_back({FdAction::dup2, unsigned(opened), unsigned(target)});
    }
  }
}

// dup2 onto 0/1/2 and onto each passed fd (which clears FD_CLOEXEC), then close the rest.
std::vector<FdAction> plan_fds(const SpawnRequest& req, TempFds& temps) {
  std::vector<FdAction> out;
  for (int target = 0; target < 3; ++target) {
    if (req.devnull[target]) continue;
    int fd = stable_stdio_source(req.stdio[target], target, temps);
    if (fd >= 0) out.push_back({FdAction::dup2, unsigned(fd), unsigned(target)});
  }
  plan_devnull(req, out);
  std::vector<int> keep = req.pass_fds;
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (::fcntl(fd, F_GETFD) < 0) throw_errno(errno, "pass_fds: fd " + std::to_string(fd));
    if (next < unsigned(fd)) out.push_back({FdAction::close_range, next, unsigned(fd) - 1});
    out.push_back({FdAction::dup2, unsigned(fd), unsigned(fd)});
    next = unsigned(fd) + 1;
  }
  out.push_back({FdAction::close_range, next, ~0u});
  return out;
}

// The same plan as posix_spawn file actions (a dup2 onto itself clears FD_CLOEXEC there too).
void add_file_actions(const ChildPlan& plan, posix_spawn_file_actions_t* fa) {
  for (std::size_t i = 0; i < plan.fd_action_count; ++i) {
    const FdAction& a = plan.fd_actions[i];
    int source = int(a.source), target = int(a.target);
    if (a.kind == FdAction::dup2) {
      check(posix_spawn_file_actions_adddup2(fa, source, target), "adddup2");
    } else if (a.kind == FdAction::open_devnull) {
      check(posix_spawn_file_actions_addopen(fa, target, "/dev/null", O_RDWR, 0), "addopen");
    } else if (a.target == ~0u) {
      check(posix_spawn_file_actions_addclosefrom_np(fa, source), "addclosefrom");
    } else {
      for (int fd = source; fd <= target; ++fd)
        check(posix_spawn_file_actions_addclose(fa, fd), "addclose");
    }
  }
  if (plan.cwd != nullptr) check(posix_spawn_file_actions_addchdir_np(fa, plan.cwd), "addchdir");
}

// The child gets SIGPIPE and SIGXFSZ back at their defaults (the loop ignores SIGPIPE),
// like subprocess's restore_signals; handled signals reset to SIG_DFL at exec anyway.
void add_attributes(const ChildPlan& plan, posix_spawnattr_t* attr) {
  short flags = POSIX_SPAWN_SETSIGDEF;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  check(posix_spawnattr_setsigdefault(attr, &defaults), "setsigdefault");
  if (plan.new_session) flags |= POSIX_SPAWN_SETSID;
  if (plan.process_group >= 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    check(posix_spawnattr_setpgroup(attr, plan.process_group), "setpgroup");
  }
  check(posix_spawnattr_setflags(attr, flags), "setflags");
}

// A NULL-terminated array of pointers into strings that outlive the launch.
template <typename Strings>
std::vector<char*> c_strings(Strings& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

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

// posix_spawn cannot say whether the child's chdir or its exec failed. A cwd the parent cannot
// enter either is the one to name, as Popen's child reports its chdir failure.
int cwd_error(const char* cwd) {
  struct stat st {};
  if (::stat(cwd, &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  return ::access(cwd, X_OK) != 0 ? errno : 0;
}

[[noreturn]] void throw_spawn_error(int err, const ChildPlan& plan) {
  if (plan.cwd != nullptr) {
    if (int cwd_err = cwd_error(plan.cwd)) throw_os_error(cwd_err, {}, plan.cwd);
  }
  throw_exec_error(err, plan.argv[0]);
}

// posix_spawn each candidate in turn, skipping what is plainly not there without a fork
// (a cwd makes relative entries moot).
pid_t posix_spawn_plan(const ChildPlan& plan) {
  FileActions fa;
  Attributes attr;
  add_file_actions(plan, fa.get());
  add_attributes(plan, attr.get());
  int saved = 0;  // the first error other than "not there", as execvpe reports
  for (std::size_t i = 0; i < plan.path_count; ++i) {
    const char* path = plan.paths[i];
    bool relative = path[0] != '/';
    if (plan.search && !(relative && plan.cwd != nullptr) && ::access(path, X_OK) != 0 &&
        (errno == ENOENT || errno == ENOTDIR))
      continue;
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, fa.get(), attr.get(), plan.argv, plan.envp);
    if (rc == 0) return pid;
    if (rc != ENOENT && rc != ENOTDIR) {
      if (rc != EACCES) throw_spawn_error(rc, plan);
      if (saved == 0) saved = rc;
    }
  }
  throw_spawn_error(saved != 0 ? saved : ENOENT, plan);
}

enum class Launcher { clone3, posix_spawn };

Launcher chosen_launcher() {
  static const Launcher chosen = [] {
    const char* env = std::getenv("ASYNCIO_CPP_SPAWN");
    std::string_view choice = env != nullptr ? env : "";
    if (choice.empty() || choice == "clone3") return Launcher::clone3;
    if (choice == "posix_spawn") return Launcher::posix_spawn;
    throw std::invalid_argument("ASYNCIO_CPP_SPAWN must be 'clone3' or 'posix_spawn', not '" +
                                std::string(choice) + "'");
  }();
  return chosen;
}

// The request as a ChildPlan, with the storage its pointers need.
struct PreparedChild {
  TempFds temps;
  std::vector<FdAction> fd_actions;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  std::vector<std::string> paths;
  std::vector<char*> path_ptrs;
  ChildPlan plan;

  explicit PreparedChild(const SpawnRequest& req)
      : fd_actions(plan_fds(req, temps)), argv(c_strings(req.argv)), paths(candidates(req)) {
    if (req.env != nullptr) {
      for (const auto& [key, value] : *req.env) env_storage.push_back(key + "=" + value);
      envp = c_strings(env_storage);
    }
    path_ptrs = c_strings(paths);
    plan.fd_actions = fd_actions.data();
    plan.fd_action_count = fd_actions.size();
    plan.new_session = req.new_session;
    plan.process_group = req.process_group.value_or(-1);
    plan.cwd = req.cwd != nullptr ? req.cwd->c_str() : nullptr;
    plan.paths = path_ptrs.data();
    plan.path_count = paths.size();
    plan.search = req.argv[0].find('/') == std::string::npos;
    plan.argv = argv.data();
    plan.envp = req.env != nullptr ? envp.data() : environ;
  }
};

// What subprocess.Popen refuses with ValueError before it starts anything: a NUL would
// silently cut a C string short, and a '=' in a name would define another variable.
void check_no_nul(const std::string& s) {
  if (s.find('\0') != std::string::npos) throw std::invalid_argument("embedded null byte");
}

void validate(const SpawnRequest& req) {
  if (req.argv.empty() || req.argv[0].empty())
    throw std::invalid_argument("the program to run must not be empty");
  for (const std::string& arg : req.argv) check_no_nul(arg);
  if (req.cwd != nullptr) check_no_nul(*req.cwd);
  if (req.env == nullptr) return;
  for (const auto& [name, value] : *req.env) {
    check_no_nul(name);
    check_no_nul(value);
    if (name.empty() || name.find('=') != std::string::npos)
      throw std::invalid_argument("illegal environment variable name");  // as CPython 3.13
  }
}

}  // namespace

pid_t spawn_process(const SpawnRequest& req) {
  validate(req);
  Launcher launcher = chosen_launcher();
  PreparedChild child(req);
  if (launcher == Launcher::clone3)
    if (std::optional<pid_t> pid = clone3_spawn(child.plan)) return *pid;
  return posix_spawn_plan(child.plan);
}

const char* spawn_launcher_name() {
  bool clone3 = chosen_launcher() == Launcher::clone3 && clone3_allowed();
  return clone3 ? "clone3" : "posix_spawn";
}

}  // namespace asyncio::detail
