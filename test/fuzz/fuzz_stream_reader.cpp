// libFuzzer target: StreamReader's readline, readuntil, readexactly and read under random
// chunking and random limits, fed both through feed_data and as a socket transport feeds it
// (StreamReaderProtocol's get_buffer/buffer_updated, straight into the reader's buffer). What a
// read returns must be the stream's next bytes (after readline's ValueError, bytes further on),
// never more than was fed, and the buffer never holds more than was fed and not yet returned.
// readuntil's LimitOverrunError consumes nothing: what was buffered stays, as in asyncio.
#include <asyncio/asyncio.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

enum class Op { readline, readuntil, readuntil_multi, readexactly, read };

struct Outcome {
  std::string data;
  bool overrun = false;  // readuntil's LimitOverrunError: asyncio leaves the buffer as it was
  bool dropped = false;  // readline's ValueError after an overrun: it dropped bytes, as asyncio's
  bool eof_error = false;
};

asyncio::Coro<Outcome> run_op(asyncio::StreamReader& reader, Op op, std::size_t n) {
  Outcome out;
  try {
    switch (op) {
      case Op::readline:
        out.data = co_await reader.readline();
        break;
      case Op::readuntil:
        out.data = co_await reader.readuntil("\r\n");
        break;
      case Op::readuntil_multi: {
        std::vector<std::string> separators = {"\n", "--", "\r\n"};
        out.data = co_await reader.readuntil(separators);
        break;
      }
      case Op::readexactly:
        out.data = co_await reader.readexactly(n);
        break;
      case Op::read:
        out.data = co_await reader.read(static_cast<std::ptrdiff_t>(n));
        break;
    }
  } catch (const asyncio::IncompleteReadError& e) {
    out.data = e.partial;
    out.eof_error = true;
  } catch (const asyncio::LimitOverrunError&) {
    out.overrun = true;
  } catch (const std::invalid_argument&) {  // readline's ValueError after an overrun
    out.dropped = true;
  }
  co_return out;
}

asyncio::Coro<> tick() {  // one loop iteration
  co_await asyncio::sleep(0);
}

void check(bool ok) {
  if (!ok) std::abort();
}

// What a socket transport does with a BufferedProtocol: recv() into its buffer, then report.
void receive(asyncio::BufferedProtocol& protocol, std::string_view piece) {
  std::span<char> buf = protocol.get_buffer(-1);
  check(buf.size() >= piece.size());  // the reader always offers a whole read's worth
  std::copy(piece.begin(), piece.end(), buf.begin());
  protocol.buffer_updated(piece.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static asyncio::EventLoop loop;
  FuzzedDataProvider in(bytes, size);
  std::size_t limit = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  int ops = in.ConsumeIntegralInRange<int>(1, 16);
  std::vector<std::pair<Op, std::size_t>> plan;
  for (int i = 0; i < ops; ++i)
    plan.emplace_back(static_cast<Op>(in.ConsumeIntegralInRange<int>(0, 4)),
                      in.ConsumeIntegralInRange<std::size_t>(0, 200));
  std::size_t chunk_seed = in.ConsumeIntegral<std::uint8_t>();
  std::string stream = in.ConsumeRemainingBytesAsString();

  auto shared_reader = std::make_shared<asyncio::StreamReader>(limit, loop);
  asyncio::StreamReader& reader = *shared_reader;
  asyncio::StreamReaderProtocol protocol(shared_reader, nullptr, loop);
  std::size_t fed = 0;
  bool eof_fed = false;
  std::size_t pos = 0;  // where the next returned byte must come from
  for (auto [op, n] : plan) {
    const std::size_t buffered_before = reader.buffered();
    const std::size_t fed_before = fed;
    auto task = loop.create_task(run_op(reader, op, n));
    while (!task.done()) {
      if (fed < stream.size()) {
        chunk_seed = chunk_seed * 31 + 7;
        std::size_t chunk = std::min<std::size_t>(1 + chunk_seed % 97, stream.size() - fed);
        std::string_view piece = std::string_view(stream).substr(fed, chunk);
        if ((chunk_seed >> 3) & 1)
          reader.feed_data(piece);
        else
          receive(protocol, piece);
        fed += chunk;
      } else if (!eof_fed) {
        reader.feed_eof();
        eof_fed = true;
      }
      loop.run_until_complete(tick());
    }
    Outcome out = task.result();
    if (out.overrun) {  // nothing consumed: the buffer holds what it held, and what came since
      check(out.data.empty());
      check(reader.buffered() == buffered_before + (fed - fed_before));
    } else if (out.dropped) {
      check(out.data.empty());
      const std::size_t resumed = fed - reader.buffered();  // readline drops what overran
      check(resumed >= pos);                                // forward only: nothing twice
      pos = resumed;
    } else {
      check(stream.compare(pos, out.data.size(), out.data) == 0);  // the next bytes, intact
      pos += out.data.size();
    }
    check(pos == fed - reader.buffered());  // nothing lost, nothing twice
    if (op == Op::readexactly && !out.eof_error) check(out.data.size() == n);
    if (op == Op::read && n > 0) check(out.data.size() <= n);
  }
  return 0;
}
