// asyncio.Handle and asyncio.TimerHandle: cheap copyable references to a callback.
#pragma once

#include <asyncio/detail/handle_impl.hpp>

#include <string>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class Handle {
 public:
  Handle() noexcept = default;
  /// Takes over one reference.
  explicit Handle(detail::HandleImpl* adopted) noexcept : impl_(adopted) {}
  Handle(const Handle& other) noexcept : impl_(other.impl_) {
    if (impl_ != nullptr) impl_->add_ref();
  }
  Handle(Handle&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
  Handle& operator=(Handle other) noexcept {
    std::swap(impl_, other.impl_);
    return *this;
  }
  ~Handle() {
    if (impl_ != nullptr) impl_->release();
  }

  /// Cancels the callback; a no-op when it already ran or was cancelled.
  void cancel();
  bool cancelled() const noexcept { return impl_ != nullptr && impl_->cancelled; }
  /// Python's repr(): "<Handle f(1)>", "<Handle cancelled>".
  std::string repr() const;

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  bool operator==(const Handle& other) const noexcept { return impl_ == other.impl_; }
  detail::HandleImpl* get() const noexcept { return impl_; }

 protected:
  detail::HandleImpl* impl_ = nullptr;
};

class TimerHandle : public Handle {
 public:
  using Handle::Handle;
  /// The absolute time, on the loop's clock, at which the callback is due.
  double when() const noexcept { return impl_ != nullptr ? impl_->when : 0.0; }
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
