// What the loop must close when it closes: transports, servers, subprocess transports.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/transports.hpp>

#include <asyncio/detail/site.hpp>
#include <memory>

namespace asyncio::detail {

/// Each open transport and server is one of these: it links itself into its loop's anchor while
/// it exists, so that close() can release its fd, its child and its protocol (which holds it in
/// a cycle) even though nobody closed it. After that its methods do nothing, or raise, without
/// touching the loop, which may be gone (docs/04-architecture.md, "Ownership").
class LoopResource {
 public:
  explicit LoopResource(EventLoop& loop);
  virtual ~LoopResource();
  LoopResource(const LoopResource&) = delete;
  LoopResource& operator=(const LoopResource&) = delete;

  /// The loop is closing: close the fd, kill a running child and drop the protocol now, with
  /// no callback (none could run). May destroy `this`: touch nothing after dropping the
  /// protocol.
  virtual void close_with_loop() noexcept = 0;

  /// False once the loop is destroyed.
  bool loop_exists() const noexcept { return anchor_->loop != nullptr; }

 protected:
  LoopResource() = default;  // in no list: the cursor close_loop_resources walks with
  /// asyncio's __del__ warning, "unclosed transport <...>", through the log sink in debug mode.
  void warn_unclosed(const BaseTransport& transport) const noexcept;

 private:
  friend void close_loop_resources(LoopAnchor& anchor) noexcept;
  void link(LoopAnchor& anchor) noexcept;
  void unlink() noexcept;

  std::shared_ptr<LoopAnchor> anchor_;
  /// In debug mode, the creation site of the task that made it (the warning's "allocated at").
  Site created_;
  LoopResource* prev_ = nullptr;
  LoopResource* next_ = nullptr;
};

/// close(): every resource still open closes with the loop.
void close_loop_resources(LoopAnchor& anchor) noexcept;

}  // namespace asyncio::detail
