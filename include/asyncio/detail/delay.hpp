// Delays and timeouts: seconds as any arithmetic type, or any std::chrono::duration.
#pragma once

#include <asyncio/detail/site.hpp>

#include <chrono>
#include <optional>
#include <type_traits>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class T>
concept Delay =
    std::is_arithmetic_v<std::remove_cvref_t<T>> || is_duration<std::remove_cvref_t<T>>::value;

template <Delay D>
double to_seconds(const D& delay) {
  if constexpr (std::is_arithmetic_v<std::remove_cvref_t<D>>) {
    return static_cast<double>(delay);
  } else {
    return std::chrono::duration<double>(delay).count();
  }
}

/// A timeout parameter that may be absent: std::nullopt (no timeout), seconds as any
/// arithmetic type, any std::chrono::duration, or an std::optional<double> of seconds.
struct OptionalDelay {
  OptionalDelay() = default;
  OptionalDelay(std::nullopt_t) {}
  OptionalDelay(std::optional<double> s) : seconds(s) {}
  template <Delay D>
  OptionalDelay(const D& delay) : seconds(to_seconds(delay)) {}

  std::optional<double> seconds;
};

/// call_later's delay and call_at's deadline, with where the call was made: the location is
/// the default argument of this implicit conversion, so the calls read as in Python, and the
/// callback's arguments can stay a trailing pack.
struct SitedDelay {
  template <Delay D>
  SitedDelay(const D& delay, Site site = Site::current())
      : seconds(to_seconds(delay)), where(site) {}
  double seconds;
  Site where;
};
struct SitedTime {
  SitedTime(double time, Site site = Site::current()) : when(time), where(site) {}
  double when;
  Site where;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
