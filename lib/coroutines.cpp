// Coroutine frames from per-thread free lists, in 16-byte size classes up to 2 KiB.
#include <asyncio/coroutines.hpp>

#include <asyncio/events.hpp>
#include <asyncio/log.hpp>

#include "block_pool.hpp"

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

namespace asyncio::detail {

namespace {

// 16 bytes, malloc's own alignment: 64-byte classes wasted 56 of a task's 512-byte state and
// 56 of a 192-byte frame, memory that a million pending tasks pay for in cache misses.
constexpr std::size_t granule = 16;
constexpr std::size_t classes = 128;  // up to 2 KiB; larger frames use operator new

struct FramePool {
  BlockFreeList lists[classes];
  std::size_t minted_since_trim;  // so that the loop need not sum 128 lists before it blocks
  bool dead;
};
thread_local FramePool pool{};

struct FramePoolReaper {
  ~FramePoolReaper() {
    for (BlockFreeList& list : pool.lists) list.trim(0);
    pool.dead = true;
  }
};
thread_local FramePoolReaper reaper;

std::size_t class_of(std::size_t size) {
  return (size + granule - 1) / granule - 1;
}

}  // namespace

void* allocate_frame(std::size_t size) {
  std::size_t c = class_of(size);
  if (c >= classes) return ::operator new(size);
  if (void* block = pool.lists[c].pop()) return block;
  (void)&reaper;  // registers the thread-exit cleanup
  void* block = ::operator new((c + 1) * granule);
  pool.lists[c].minted_one();
  ++pool.minted_since_trim;
  return block;
}

void free_frame(void* frame, std::size_t size) noexcept {
  std::size_t c = class_of(size);
  if (c >= classes || pool.dead) {
    ::operator delete(frame);
    return;
  }
  if (pool.lists[c].head == nullptr) (void)&reaper;  // a thread that only frees must clean up
  if (!pool.lists[c].push(frame)) ::operator delete(frame);
}

std::size_t pooled_frames() noexcept {
  std::size_t total = 0;
  for (const BlockFreeList& list : pool.lists) total += list.count;
  return total;
}

std::size_t frames_minted_since_trim() noexcept {
  return pool.minted_since_trim;
}

std::size_t trim_frame_pool(std::size_t keep) noexcept {
  pool.minted_since_trim = 0;
  std::size_t released = 0;
  for (std::size_t c = 0; c < classes; ++c)
    released += pool.lists[c].trim(keep) * (c + 1) * granule;
  return released;
}

}  // namespace asyncio::detail

// ---------------------------------------------------------------- never awaited

namespace asyncio::detail {

namespace {

bool debug_mode_here() noexcept {
  if (EventLoop* loop = running_loop_or_null()) return loop->get_debug();
  const char* value = std::getenv("ASYNCIO_CPP_DEBUG");  // the default of new loops
  return value != nullptr && *value != '\0';
}

// "asyncio::Coro<int> ns::fetch(int)" -> "ns::fetch": Python's qualname, near enough.
std::string_view coroutine_name(std::string_view signature) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    char c = signature[i];
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (c == '(' && depth == 0) break;
    if (c == ' ' && depth == 0) start = i + 1;
  }
  std::string_view name = signature.substr(start);
  for (std::string_view anon : {"{anonymous}::", "(anonymous namespace)::"}) {
    if (name.starts_with(anon)) name.remove_prefix(anon.size());
  }
  if (!name.empty() && name.back() == ')') {  // the parameter list
    int parens = 0;
    for (std::size_t i = name.size(); i-- > 0;) {
      if (name[i] == ')') ++parens;
      if (name[i] == '(' && --parens == 0) return name.substr(0, i);
    }
  }
  return name;
}

}  // namespace

void report_never_awaited(const CoroOrigin& origin) noexcept {
  if (!debug_mode_here()) return;
  try {
    std::string message = "coroutine '";
#if defined(__cpp_lib_source_location)
    message += coroutine_name(origin.where.function_name());
    // The promise sees where the coroutine function is, not the call that created it.
    message += "' was never awaited\nCoroutine function defined at\n  File \"";
    message += origin.where.file_name();
    message += "\", line " + std::to_string(origin.where.line());
#else
    (void)origin;
    message += "<unknown>' was never awaited";
#endif
    log(LogLevel::warning, message);
  } catch (...) {
  }
}

}  // namespace asyncio::detail
