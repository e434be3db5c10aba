#include "loop_resource.hpp"

#include "loop_impl.hpp"
#include "sites.hpp"

#include <asyncio/log.hpp>

namespace asyncio::detail {

LoopResource::LoopResource(EventLoop& loop) : anchor_(loop_anchor(loop)) {
  if (loop.get_debug()) created_ = current_creation_site();
  link(*anchor_);
}

LoopResource::~LoopResource() {
  unlink();
}

void LoopResource::link(LoopAnchor& anchor) noexcept {
  next_ = anchor.resources;
  if (next_ != nullptr) next_->prev_ = this;
  anchor.resources = this;
}

void LoopResource::unlink() noexcept {
  if (prev_ != nullptr) prev_->next_ = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  if (anchor_ && anchor_->resources == this) anchor_->resources = next_;
  prev_ = next_ = nullptr;
}

void LoopResource::warn_unclosed(const BaseTransport& transport) const noexcept {
  try {
    if (anchor_->loop != nullptr && anchor_->loop->get_debug())
      log(LogLevel::warning, "unclosed transport " + transport.repr() + allocated_at(created_));
  } catch (...) {  // out of memory for the message: the transport closes all the same
  }
}

namespace {
// The cursor: a node of the list itself, placed after the resource being closed, so that
// the walk goes on correctly whichever resources closing that one destroys.
struct Cursor final : LoopResource {
  void close_with_loop() noexcept override {}
};
}  // namespace

void close_loop_resources(LoopAnchor& anchor) noexcept {
  Cursor cursor;
  LoopResource* current = anchor.resources;
  while (current != nullptr) {
    // cursor goes right after current
    cursor.prev_ = current;
    cursor.next_ = current->next_;
    if (current->next_ != nullptr) current->next_->prev_ = &cursor;
    current->next_ = &cursor;
    current->close_with_loop();  // may unlink and destroy current, and any other resource
    LoopResource* after = cursor.next_;
    if (cursor.prev_ != nullptr) {
      cursor.prev_->next_ = after;
    } else {
      anchor.resources = after;  // current was the head, and is gone
    }
    if (after != nullptr) after->prev_ = cursor.prev_;
    cursor.prev_ = cursor.next_ = nullptr;
    current = after;
  }
}

}  // namespace asyncio::detail

namespace asyncio {

// asyncio's repr of a loop, under this library's class name.
std::string EventLoop::Impl::repr() const {
  auto py_bool = [](bool b) { return b ? "True" : "False"; };
  return std::string("<EventLoop running=") + py_bool(self.is_running()) +
         " closed=" + py_bool(closed) + " debug=" + py_bool(debug) + ">";
}

// The loop's own ResourceWarning, BaseEventLoop.__del__'s.
void EventLoop::Impl::warn_unclosed() const noexcept {
  if (!debug) return;
  try {
    log(LogLevel::warning, "unclosed event loop " + repr());
  } catch (...) {  // no memory for the message: the loop closes all the same
  }
}

}  // namespace asyncio
