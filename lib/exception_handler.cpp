// The loop's exception handler: asyncio's set_exception_handler, default_exception_handler and
// call_exception_handler, with the context dict's keys in the order asyncio prints them.
#include "loop_impl.hpp"
#include "sites.hpp"

#include <asyncio/contextvars.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/log.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <string>
#include <typeinfo>

namespace asyncio {

void EventLoop::set_exception_handler(ExceptionHandler handler) {
  impl_->exception_handler = std::move(handler);
}

ExceptionHandler EventLoop::get_exception_handler() const {
  return impl_->exception_handler;
}

namespace {
std::string context_repr(const ExceptionContext& ctx) {
  std::string out = "{'message': '" + ctx.message + "'";
  if (ctx.exception) out += ", 'exception': " + exception_repr(ctx.exception);
  if (ctx.future) out += ", 'future': " + ctx.future->repr();
  if (ctx.handle) out += ", 'handle': " + ctx.handle.repr();
  if (ctx.task) out += ", 'task': " + ctx.task->repr();
  return out + "}";
}
}  // namespace

void EventLoop::default_exception_handler(const ExceptionContext& ctx) {
  std::string text = ctx.message.empty() ? "Unhandled exception in event loop" : ctx.message;
  // The other keys, sorted by name as asyncio prints them.
  if (ctx.context != nullptr) text += "\ncontext: " + context_repr(*ctx.context);
  if (ctx.future) text += "\nfuture: " + ctx.future->repr();
  if (ctx.handle) text += "\nhandle: " + ctx.handle.repr();
  if (const BaseProtocol* p = ctx.protocol.get())
    text += "\nprotocol: <" + detail::demangle(typeid(*p)) + ">";
  if (detail::recorded(ctx.source_traceback))
    text += "\nsource_traceback: " + detail::format_source_traceback(ctx.source_traceback);
  if (ctx.task) text += "\ntask: " + ctx.task->repr();
  if (ctx.transport) text += "\ntransport: " + ctx.transport->repr();
  if (ctx.exception) text += "\n" + describe_exception(ctx.exception);
  log(LogLevel::error, text);
}

namespace {
// 3.12: a custom handler runs in the context of the task, the future (a task), or the handle
// concerned; in the current one when that has no context of its own.
template <class F>
void run_in_handler_context(const ExceptionContext& ctx, F&& call) {
  detail::ContextState* context = nullptr;
  if (ctx.task) {
    context = ctx.task->handler_context();
  } else if (ctx.future) {
    context = ctx.future->handler_context();
  } else if (HandleImpl* h = ctx.handle.get(); h != nullptr && h->ops != nullptr) {
    context = h->ops->context(h->storage);
  }
  if (context == nullptr) return call();
  detail::EnterContext entered(*context);
  call();
}
}  // namespace

void EventLoop::call_exception_handler(const ExceptionContext& ctx) noexcept {
  ExceptionHandler handler;
  try {
    handler = impl_->exception_handler;  // a copy: the handler may replace itself
    if (!handler) {
      default_exception_handler(ctx);
      return;
    }
  } catch (...) {
    log(LogLevel::error,
        "Exception in default exception handler\n" + describe_exception(std::current_exception()));
    return;
  }
  try {
    run_in_handler_context(ctx, [&] { handler(*this, ctx); });
  } catch (...) {
    try {
      ExceptionContext nested;
      nested.message = "Unhandled error in exception handler";
      nested.exception = std::current_exception();
      nested.context = &ctx;
      default_exception_handler(nested);
    } catch (...) {
      log(LogLevel::error,
          "Exception in default exception handler while handling an unexpected error in "
          "custom exception handler\n" +
              describe_exception(std::current_exception()));
    }
  }
}

}  // namespace asyncio
