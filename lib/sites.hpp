// Creation sites (docs/04-architecture.md, "Observability"): how every report prints them.
#pragma once

#include <asyncio/detail/site.hpp>
#include <string>

namespace asyncio::detail {

struct HandleImpl;
struct FutureStateBase;

/// A default-constructed Site (line 0) stands for "not recorded".
inline bool recorded(Site where) noexcept {
  return where.line() != 0;
}

/// " created at file:line", the tail of a repr in debug mode (asyncio's source_traceback[-1]);
/// nothing when no site was recorded.
void append_created_at(std::string& out, Site where);
/// The default exception handler's source_traceback value, as asyncio words it.
std::string format_source_traceback(Site where);
/// A ResourceWarning's tail, as tracemalloc words it for Python's warnings: a newline, then
/// "Object allocated at (most recent call last):" and the site; nothing when none was recorded.
std::string allocated_at(Site where);
/// A future's or task's creation site while its loop is in debug mode; empty otherwise, as
/// asyncio has a source_traceback only in debug mode.
Site site_in_debug(const FutureStateBase& fut) noexcept;
/// What is creating a resource right now: the creation site of the current task, if any.
Site current_creation_site() noexcept;

/// recycle_handle's half of the side table: called only for handles that recorded a site.
void forget_handle_site(const HandleImpl* h) noexcept;

}  // namespace asyncio::detail
