// Python's `async for x in y`, as a C++20 range-for: each element is a fresh coroutine that
// gives the next item once awaited.
#pragma once

#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

/// A range over `Source`, which has `anext()` (a lazy Coro giving the next item) and
/// `exhausted()` (no further item can come). The end is checked before each element is made,
/// so a source whose end shows only once an item is awaited (a stream at EOF) gives one last
/// element meaning "the end", which the loop body handles (see StreamReader::lines()).
template <class Source>
class AsyncRange {
 public:
  explicit AsyncRange(Source source) : source_(std::move(source)) {}

  struct Sentinel {};
  class Iterator {
   public:
    explicit Iterator(Source& source) : source_(&source) {}
    auto operator*() const { return source_->anext(); }
    Iterator& operator++() { return *this; }
    bool operator==(Sentinel) const { return source_->exhausted(); }

   private:
    Source* source_;
  };

  Iterator begin() { return Iterator(source_); }
  Sentinel end() const { return {}; }

 private:
  Source source_;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
