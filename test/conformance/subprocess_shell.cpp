// Mirrors CPython test_subprocess.SubprocessMixin.test_shell and test_events.SubprocessTestsMixin
// (test_subprocess_shell, test_subprocess_exitcode, test_subprocess_stderr_redirect_to_stdout):
// a command line runs under /bin/sh -c with its expansions, pipelines and exit status;
// stderr=STDOUT merges both streams into the one stdout pipe (in write order), and the
// protocol then has no transport for fd 2. create_subprocess_exec, by contrast, passes its
// arguments verbatim, with no shell expansion.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::PIPE;
using asyncio::STDOUT;
using namespace proc_trace;

class Proto : public asyncio::SubprocessProtocol {
 public:
  std::map<int, std::string> data;
  std::vector<int> lost;
  asyncio::Future<void> done = asyncio::get_running_loop().create_future<void>();

  void pipe_data_received(int fd, std::string_view chunk) override { data[fd] += chunk; }
  void pipe_connection_lost(int fd, std::exception_ptr) override { lost.push_back(fd); }
  void connection_lost(std::exception_ptr) override { done.set_result(); }
};

std::vector<std::string> split_on(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string strip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

Coro<> amain() {
  auto merged = co_await asyncio::create_subprocess_shell(
      "printf 'a\\n'; printf 'b\\n' >&2; printf 'c\\n'", stdio({}, PIPE, STDOUT));
  auto [m_out, m_err] = co_await merged.communicate();
  trace::print("merged:", str_list(split_on(*m_out, '\n')), "stderr:", optional_bytes_repr(m_err));

  auto expansion = co_await asyncio::create_subprocess_shell(
      "x=6; echo $((x * 7)); printf 'p\\nq\\nr\\n' | wc -l; echo \"$0\" >&2; exit 7",
      stdio({}, PIPE, PIPE));
  auto [e_out, e_err] = co_await expansion.communicate();
  trace::print("expansion and pipeline:", str_list(split_words(*e_out)), "stderr:", strip(*e_err),
               "returncode", optional_int(expansion.returncode()));

  auto swap =
      co_await asyncio::create_subprocess_shell("read a b; echo \"$b $a\"", stdio(PIPE, PIPE));
  auto [s_out, s_err] = co_await swap.communicate("left right\n");
  trace::print("stdin through the shell:", strip(*s_out));

  auto verbatim = co_await asyncio::create_subprocess_exec(
      "printf", args("%s|", "a b", "$HOME", "*", "", "'q'", "x;y"), stdio({}, PIPE));
  auto [v_out, v_err] = co_await verbatim.communicate();
  trace::print("exec arguments verbatim:", *v_out);

  auto& loop = asyncio::get_running_loop();
  asyncio::SubprocessOptions options;
  options.stderr_ = STDOUT;
  auto [transport, proto] = co_await loop.subprocess_shell([] { return std::make_shared<Proto>(); },
                                                           "printf one; printf two >&2", options);
  trace::print("get_pipe_transport(2) with stderr=STDOUT:",
               transport->get_pipe_transport(2) ? "a transport" : "None");
  transport->get_pipe_transport(0)->close();
  co_await proto->done;
  std::string data = "{";
  for (const auto& [fd, text] : proto->data)
    data += (data.size() > 1 ? ", " : "") + std::to_string(fd) + ": " + repr(text);
  trace::print("protocol data:", data + "}");
  std::sort(proto->lost.begin(), proto->lost.end());
  trace::print("pipes lost:", int_list(proto->lost), "returncode",
               optional_int(transport->get_returncode()));
  transport->close();
}

int main() {
  asyncio::run(amain());
}
