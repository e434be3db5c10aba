#include <asyncio/detail/callable.hpp>
#include <asyncio/exceptions.hpp>

#include <cxxabi.h>
#include <netdb.h>

#include <cerrno>
#include <cstring>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <type_traits>

namespace asyncio {

namespace {
std::string incomplete_message(std::size_t got, const std::optional<std::size_t>& expected) {
  std::string total = expected ? std::to_string(*expected) : "undefined";
  return std::to_string(got) + " bytes read on a total of " + total + " expected bytes";
}
}  // namespace

IncompleteReadError::IncompleteReadError(std::string partial_bytes,
                                         std::optional<std::size_t> expected_bytes)
    : Error(incomplete_message(partial_bytes.size(), expected_bytes)),
      partial(std::move(partial_bytes)),
      expected(expected_bytes) {}

ExceptionGroup::ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> excs)
    : Error(message + " (" + std::to_string(excs.size()) + " sub-exception" +
            (excs.size() == 1 ? ")" : "s)")),
      exceptions(std::move(excs)) {}

// ---------------------------------------------------------------- OSError

namespace {
std::string errno_text(int err, std::string strerror, const std::optional<std::string>& filename) {
  std::string text = "[Errno " + std::to_string(err) + "] " + strerror;
  if (filename) text += ": '" + *filename + "'";
  return text;
}
std::string c_strerror(int err) {
  return std::error_code(err, std::system_category()).message();
}
}  // namespace

OSError::OSError(int err) : OSError(err, c_strerror(err)) {}

OSError::OSError(int err, std::string text)
    : std::system_error(std::error_code(err, std::system_category())),
      has_errno_(true),
      strerror_(std::move(text)),
      text_(errno_text(err, strerror_, filename_)) {}

OSError::OSError(int err, std::string text, std::string file)
    : std::system_error(std::error_code(err, std::system_category())),
      has_errno_(true),
      strerror_(std::move(text)),
      filename_(std::move(file)),
      text_(errno_text(err, strerror_, filename_)) {}

OSError::OSError(std::error_code code, std::string text, std::string full_text)
    : std::system_error(code),
      has_errno_(true),
      strerror_(std::move(text)),
      text_(std::move(full_text)) {}

OSError::OSError(std::string message)
    : std::system_error(std::error_code(0, std::system_category())), text_(std::move(message)) {}

gaierror::gaierror(int eai_code) : OSError(eai_code, ::gai_strerror(eai_code)) {}

namespace {
// Python's errno -> subclass table (Objects/exceptions.c), as one switch for make and name.
template <class Visit>
auto with_os_error_class(int err, Visit&& visit) {
  switch (err) {
    case EAGAIN:  // == EWOULDBLOCK on Linux
    case EALREADY:
    case EINPROGRESS:
      return visit(std::type_identity<BlockingIOError>{}, "BlockingIOError");
    case ECHILD:
      return visit(std::type_identity<ChildProcessError>{}, "ChildProcessError");
    case EPIPE:
    case ESHUTDOWN:
      return visit(std::type_identity<BrokenPipeError>{}, "BrokenPipeError");
    case ECONNABORTED:
      return visit(std::type_identity<ConnectionAbortedError>{}, "ConnectionAbortedError");
    case ECONNREFUSED:
      return visit(std::type_identity<ConnectionRefusedError>{}, "ConnectionRefusedError");
    case ECONNRESET:
      return visit(std::type_identity<ConnectionResetError>{}, "ConnectionResetError");
    case EEXIST:
      return visit(std::type_identity<FileExistsError>{}, "FileExistsError");
    case ENOENT:
      return visit(std::type_identity<FileNotFoundError>{}, "FileNotFoundError");
    case EISDIR:
      return visit(std::type_identity<IsADirectoryError>{}, "IsADirectoryError");
    case ENOTDIR:
      return visit(std::type_identity<NotADirectoryError>{}, "NotADirectoryError");
    case EINTR:
      return visit(std::type_identity<InterruptedError>{}, "InterruptedError");
    case EACCES:
    case EPERM:
      return visit(std::type_identity<PermissionError>{}, "PermissionError");
    case ESRCH:
      return visit(std::type_identity<ProcessLookupError>{}, "ProcessLookupError");
    case ETIMEDOUT:
      return visit(std::type_identity<TimeoutError>{}, "TimeoutError");
    default:
      return visit(std::type_identity<OSError>{}, "OSError");
  }
}
}  // namespace

std::exception_ptr make_os_error(int err, std::string strerror,
                                 std::optional<std::string> filename) {
  if (strerror.empty()) strerror = c_strerror(err);
  return with_os_error_class(err, [&]<class E>(std::type_identity<E>, const char*) {
    return filename ? std::make_exception_ptr(E(err, std::move(strerror), std::move(*filename)))
                    : std::make_exception_ptr(E(err, std::move(strerror)));
  });
}

void throw_os_error(int err, std::string strerror, std::optional<std::string> filename) {
  std::rethrow_exception(make_os_error(err, std::move(strerror), std::move(filename)));
}

void throw_os_error(std::error_code ec) {
  const auto& category = ec.category();
  if (category == std::system_category() || category == std::generic_category())
    throw_os_error(ec.value());
  throw OSError(ec.value(), ec.message());
}

const char* os_error_name(int err) noexcept {
  return with_os_error_class(err, [](auto, const char* name) { return name; });
}

// ---------------------------------------------------------------- describing exceptions

namespace {
struct NameAndMessage {
  std::string name;
  std::string message;
};

NameAndMessage name_and_message(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const CancelledError& e) {
    return {"asyncio::CancelledError", e.message()};
  } catch (const KeyboardInterrupt&) {
    return {"asyncio::KeyboardInterrupt", ""};
  } catch (const std::exception& e) {
    return {detail::demangle(typeid(e)), e.what()};
  } catch (...) {
    return {"unknown exception", ""};
  }
}
}  // namespace

std::string describe_exception(const std::exception_ptr& exc) {
  if (!exc) return "None";
  auto [name, message] = name_and_message(exc);
  return message.empty() ? name : name + ": " + message;
}

std::string exception_str(const std::exception_ptr& exc) {
  return exc ? name_and_message(exc).message : "None";
}

std::string exception_repr(const std::exception_ptr& exc) {
  if (!exc) return "None";
  auto [name, message] = name_and_message(exc);
  return message.empty() ? name + "()" : name + "('" + message + "')";
}

namespace detail {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

template <class N>
static void append_chars(std::string& out, N value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void append_number(std::string& out, double value) {
  std::size_t start = out.size();
  append_chars(out, value);
  // Python prints 2.0, not 2.
  if (out.find_first_of(".eninf", start) == std::string::npos) out += ".0";
}
void append_number(std::string& out, long long value) {
  append_chars(out, value);
}
void append_number(std::string& out, unsigned long long value) {
  append_chars(out, value);
}

}  // namespace detail
}  // namespace asyncio
