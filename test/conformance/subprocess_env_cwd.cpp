// Mirrors CPython test_subprocess.SubprocessMixin (test_create_subprocess_env_exec,
// test_create_subprocess_env_shell, test_create_subprocess_exec_with_path) and Popen's env and
// cwd: env= replaces the child's whole environment, no env inherits ours (including
// variables set at run time), cwd= runs the child in that directory, a program name
// without a slash is looked up on PATH (the PATH of env= when it is given), and a relative
// path with a slash is taken relative to cwd=.
#include <asyncio/asyncio.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using namespace proc_trace;

const std::string SHOW =
    R"(printf "FOO=%s HOME=%s MARK=%s" "${FOO-unset}" "${HOME+set}" "${CONF_MARK-unset}")";

using Env = std::map<std::string, std::string>;

struct Output {
  std::string out;
  int code;
};

std::string repr(const Output& o) {
  return "(" + proc_trace::repr(o.out) + ", " + std::to_string(o.code) + ")";
}

Coro<Output> output(std::string program, std::vector<std::string> argv,
                    std::optional<Env> env = std::nullopt,
                    std::optional<std::string> cwd = std::nullopt) {
  asyncio::SubprocessOptions options;
  options.stdout_ = PIPE;
  options.env = std::move(env);
  options.cwd = std::move(cwd);
  auto proc = co_await asyncio::create_subprocess_exec(program, argv, options);
  auto [out, err] = co_await proc.communicate();
  co_return Output{*out, *proc.returncode()};
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    parts.push_back(text.substr(start, nl - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string realpath_of(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? buf : path;
}

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) ? buf : "";
}

Coro<> amain() {
  const std::string start_cwd = current_dir();
  ::setenv("CONF_MARK", "inherited", 1);
  trace::print("inherited env:", repr(co_await output("/bin/sh", args("-c", SHOW))));
  Env foo{{"FOO", "bar baz"}};
  trace::print("env replaced:", repr(co_await output("/bin/sh", args("-c", SHOW), foo)));
  trace::print("empty env:", repr(co_await output("/bin/sh", args("-c", SHOW), Env())));
  Env odd{{"A", "x=y"}, {"B", ""}, {"C", " two  spaces "}};
  trace::print("values with '=', spaces and empty:",
               repr(co_await output(
                   "/bin/sh", args("-c", R"(printf "%s|%s|%s" "$A" "${B-unset}" "$C")"), odd)));
  trace::print("program on PATH:", repr(co_await output("printf", args("found"))));

  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/confXXXXXX";
  std::string tmp = ::mkdtemp(pattern.data());
  std::string real = realpath_of(tmp);
  std::string sub = real + "/sub dir";
  ::mkdir(sub.c_str(), 0700);
  Output o = co_await output("/bin/sh", args("-c", "pwd -P"), std::nullopt, tmp);
  std::string pwd = o.out.substr(0, o.out.find_last_not_of('\n') + 1);
  trace::print("cwd: child's pwd is the temp dir:", pwd == real, o.code);
  o = co_await output("/bin/sh", args("-c", "pwd -P; ls"), std::nullopt, tmp + "/sub dir");
  trace::print("cwd with a space:", str_list(split_lines(replace_all(o.out, real, "<tmp>"))),
               o.code);
  Env one{{"FOO", "1"}};
  o = co_await output("/bin/sh", args("-c", "pwd -P; " + SHOW), one, tmp);
  trace::print("cwd and env:", str_list(split_lines(replace_all(o.out, real, "<tmp>"))), o.code);

  std::string script = real + "/conf-hello";
  std::ofstream(script) << "#!/bin/sh\necho hello from the script\n";
  ::chmod(script.c_str(), 0755);
  Env path_tmp{{"PATH", real}};
  trace::print("found on env's PATH:", repr(co_await output("conf-hello", {}, path_tmp)));
  Env path_missing{{"PATH", "/nonexistent"}};
  try {
    co_await output("printf", args("x"), path_missing);
  } catch (const asyncio::OSError& e) {
    trace::print("not on env's PATH:", trace::type_name(e));
  }
  trace::print("./ relative to cwd:", repr(co_await output("./conf-hello", {}, std::nullopt, tmp)));
  ::unlink(script.c_str());
  ::rmdir(sub.c_str());
  ::rmdir(tmp.c_str());
  trace::print("parent's cwd unchanged:", current_dir() == start_cwd);
}

int main() {
  asyncio::run(amain());
}
