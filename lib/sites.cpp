// Creation sites: the handles' side table and the texts every report shares.
#include "sites.hpp"

#include <asyncio/task.hpp>

#include <mutex>
#include <unordered_map>

namespace asyncio::detail {

namespace {
// Handles may be made and recycled on any thread (call_soon_threadsafe), hence the lock; it is
// taken only in debug mode. Leaked on purpose: handles are recycled during static destruction.
struct HandleSites {
  std::mutex mutex;
  std::unordered_map<const HandleImpl*, Site> sites;
};
HandleSites& handle_sites() {
  static auto* table = new HandleSites;
  return *table;
}

void append_location(std::string& out, Site where) {
  out += where.file_name();
  out += ':';
  out += std::to_string(where.line());
}

// One frame as Python's traceback.format_list prints it (without the source line).
std::string frame_line(Site where) {
  std::string out = "  File \"";
  out += where.file_name();
  out += "\", line " + std::to_string(where.line()) + ", in ";
  out += where.function_name();
  return out;
}
}  // namespace

void record_handle_site(HandleImpl* h, Site where) {
  if (!recorded(where)) return;
  HandleSites& table = handle_sites();
  std::lock_guard lock(table.mutex);
  table.sites[h] = where;
  h->has_site = true;
}

Site handle_site(const HandleImpl* h) {
  if (h == nullptr || !h->has_site) return {};
  HandleSites& table = handle_sites();
  std::lock_guard lock(table.mutex);
  auto found = table.sites.find(h);
  return found != table.sites.end() ? found->second : Site{};
}

std::size_t handle_sites_recorded() noexcept {
  HandleSites& table = handle_sites();
  std::lock_guard lock(table.mutex);
  return table.sites.size();
}

void forget_handle_site(const HandleImpl* h) noexcept {
  HandleSites& table = handle_sites();
  std::lock_guard lock(table.mutex);
  table.sites.erase(h);
}

void append_created_at(std::string& out, Site where) {
  if (!recorded(where)) return;
  out += " created at ";
  append_location(out, where);
}

std::string format_source_traceback(Site where) {
  return "Object created at (most recent call last):\n" + frame_line(where);
}

std::string allocated_at(Site where) {
  if (!recorded(where)) return {};
  return "\nObject allocated at (most recent call last):\n" + frame_line(where);
}

Site site_in_debug(const FutureStateBase& fut) noexcept {
  EventLoop* loop = fut.anchor->loop;
  return loop != nullptr && loop->get_debug() ? fut.created : Site{};
}

Site current_creation_site() noexcept {
  TaskCore* task = current_task_core();
  return task != nullptr ? task->state->created : Site{};
}

}  // namespace asyncio::detail
