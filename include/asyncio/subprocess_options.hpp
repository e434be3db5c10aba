// The keyword arguments of loop.subprocess_exec / create_subprocess_exec and their
// shell forms, with subprocess's PIPE, STDOUT and DEVNULL.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// Values for stdin_ / stdout_ / stderr_ besides a plain fd (>= 0), as in `subprocess`.
inline constexpr int PIPE = -1;
inline constexpr int STDOUT = -2;  // stderr_ only: share the child's stdout
inline constexpr int DEVNULL = -3;
inline constexpr int INHERIT = -4;  // Python's None: the child shares ours

struct SubprocessOptions {
  /// Unset means the function's own default: PIPE for loop.subprocess_exec/_shell,
  /// INHERIT for create_subprocess_exec/_shell, as in asyncio. A given fd is not closed.
  std::optional<int> stdin_;
  std::optional<int> stdout_;
  std::optional<int> stderr_;
  std::optional<std::string> cwd;
  /// The child's whole environment; unset inherits ours.
  std::optional<std::map<std::string, std::string>> env;
  bool start_new_session = false;
  std::optional<int> process_group;  // setpgid(0, N) in the child; 0 makes a new group
  std::vector<int> pass_fds;         // kept open (and inheritable) in the child
  std::size_t limit = 64 * 1024;     // the StreamReaders' limit (create_subprocess_*)
};

namespace detail {
/// The arguments of the variadic subprocess_exec forms: strings, then options if any.
template <class A>
concept ExecArg = std::is_convertible_v<A, std::string_view> ||
    std::is_same_v<std::remove_cvref_t<A>, SubprocessOptions>;
inline void add_exec_arg(std::vector<std::string>& argv, SubprocessOptions&, std::string_view a) {
  argv.emplace_back(a);
}
inline void add_exec_arg(std::vector<std::string>&, SubprocessOptions& options,
                         SubprocessOptions given) {
  options = std::move(given);
}
/// A vector of arguments selects the vector form of subprocess_exec instead.
template <class A>
inline constexpr bool is_arg_vector =
    std::is_same_v<std::remove_cvref_t<A>, std::vector<std::string>>;
}  // namespace detail

}  // namespace asyncio
ASYNCIO_CPP_API_END
