// asyncio's debug-mode records of connection setup, and the reprs they print.
#include "debug_logs.hpp"

#include "socket_utils.hpp"

#include <asyncio/log.hpp>

#include <cxxabi.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace asyncio::detail {

namespace {

std::string hex_byte(unsigned char c) {
  char text[5];
  std::snprintf(text, sizeof text, "\\x%02x", c);
  return text;
}

std::string escaped(char c, char quote) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      break;
  }
  if (c == quote) return std::string("\\") + c;
  auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte == 0x7f) return hex_byte(byte);
  return std::string(1, c);  // bytes of UTF-8 pass through: Python prints them as they are
}

int socket_option(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  return ::getsockopt(fd, SOL_SOCKET, option, &value, &len) == 0 ? value : -1;
}

// An address as str() shows it in a socket repr: a tuple's repr, a Unix path bare; nothing
// for an unnamed Unix socket or a call that fails (Python leaves the field out then too).
std::string address_field(const char* field, const SockAddr& addr) {
  if (addr.family == 0) return {};
  if (addr.family == AF_UNIX) return addr.host.empty() ? "" : ", " + std::string(field) + addr.host;
  return ", " + std::string(field) + addr.repr();
}

std::string demangled(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> raw(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && raw ? raw.get() : type.name();
}

// Python's IntEnum and IntFlag reprs, for the values getaddrinfo's record prints.
std::string family_repr(int family) {
  if (family == AF_INET) return "<AddressFamily.AF_INET: 2>";
  if (family == AF_INET6) return "<AddressFamily.AF_INET6: 10>";
  if (family == AF_UNIX) return "<AddressFamily.AF_UNIX: 1>";
  return std::to_string(family);
}

std::string kind_repr(int type) {
  if (type == SOCK_STREAM) return "<SocketKind.SOCK_STREAM: 1>";
  if (type == SOCK_DGRAM) return "<SocketKind.SOCK_DGRAM: 2>";
  if (type == SOCK_RAW) return "<SocketKind.SOCK_RAW: 3>";
  return std::to_string(type);
}

std::string flags_repr(int flags) {
  static constexpr std::pair<int, const char*> names[] = {{AI_PASSIVE, "AI_PASSIVE"},
                                                          {AI_CANONNAME, "AI_CANONNAME"},
                                                          {AI_NUMERICHOST, "AI_NUMERICHOST"},
                                                          {AI_V4MAPPED, "AI_V4MAPPED"},
                                                          {AI_ALL, "AI_ALL"},
                                                          {AI_ADDRCONFIG, "AI_ADDRCONFIG"},
                                                          {AI_NUMERICSERV, "AI_NUMERICSERV"}};
  std::string joined;
  int known = 0;
  for (const auto& [bit, name] : names)
    if ((flags & bit) != 0) {
      joined += (joined.empty() ? "" : "|") + std::string(name);
      known |= bit;
    }
  if (known != flags) return std::to_string(flags);  // a bit Python would not name either
  return "<AddressInfo." + joined + ": " + std::to_string(flags) + ">";
}

// A port as the caller gave it: callers pass numbers as text, which Python would print bare.
std::string port_repr(const std::optional<std::string>& port) {
  if (!port) return "None";
  bool numeric = !port->empty() && port->find_first_not_of("0123456789") == std::string::npos;
  return numeric ? *port : py_str_repr(*port);
}

std::string pair_repr(const BaseTransport& transport, const BaseProtocol* protocol) {
  return "(" + transport.repr() + ", " + protocol_repr(protocol) + ")";
}

std::string host_port_repr(const std::optional<HostPort>& addr) {
  if (!addr) return "None";
  return "(" + py_str_repr(addr->first) + ", " + std::to_string(addr->second) + ")";
}

// subprocess._format_pipe: how a child's stdio is set, as the start record shows it.
std::string pipe_repr(int how) {
  if (how == PIPE) return "<pipe>";
  if (how == STDOUT) return "<stdout>";
  return std::to_string(how);  // DEVNULL prints as -3, a file descriptor as itself
}

}  // namespace

std::string py_str_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const char quote = has_single && text.find('"') == std::string_view::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char c : text) out += escaped(c, quote);
  return out + quote;
}

std::string socket_repr(int fd, bool transport_socket) {
  std::string out = transport_socket ? "<asyncio.TransportSocket" : "<socket.socket";
  out += " fd=" + std::to_string(fd) + ", family=" + std::to_string(socket_option(fd, SO_DOMAIN)) +
         ", type=" + std::to_string(socket_option(fd, SO_TYPE)) +
         ", proto=" + std::to_string(socket_option(fd, SO_PROTOCOL));
  out += address_field("laddr=", local_address(fd));
  out += address_field("raddr=", peer_address(fd));
  return out + ">";
}

std::string protocol_repr(const BaseProtocol* protocol) {
  if (protocol == nullptr) return "None";
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(protocol));
  return "<" + demangled(typeid(*protocol)) + " object at " + address + ">";
}

std::string server_repr(const std::vector<int>& listening) {
  std::string sockets;
  for (int fd : listening) sockets += socket_repr(fd, true) + ",";
  if (listening.size() > 1) sockets.pop_back();  // a 1-tuple alone keeps its comma
  return "<Server sockets=(" + sockets + ")>";
}

std::string addrinfo_list_repr(const std::vector<AddrInfo>& infos) {
  std::string out;
  for (const AddrInfo& info : infos) {
    out += out.empty() ? "[" : ", ";
    out += "(" + family_repr(info.family) + ", " + kind_repr(info.type) + ", " +
           std::to_string(info.proto) + ", " + py_str_repr(info.canonname) + ", " +
           info.addr.repr() + ")";
  }
  return out.empty() ? "[]" : out + "]";
}

std::string getaddrinfo_query(const std::optional<std::string>& host,
                              const std::optional<std::string>& port, int family, int type,
                              int proto, int flags) {
  std::string out = host.value_or("None") + ":" + port_repr(port);
  if (family != 0) out += ", family=" + family_repr(family);
  if (type != 0) out += ", type=" + kind_repr(type);
  if (proto != 0) out += ", proto=" + std::to_string(proto);
  if (flags != 0) out += ", flags=" + flags_repr(flags);
  return out;
}

void log_getaddrinfo_start(const std::string& query) {
  log(LogLevel::debug, "Get address info " + query);
}

void log_getaddrinfo_done(const std::string& query, double seconds, double slow,
                          const std::vector<AddrInfo>& infos) {
  char took[32];
  std::snprintf(took, sizeof took, "%.3fms", seconds * 1e3);
  log(seconds >= slow ? LogLevel::info : LogLevel::debug,
      "Getting address info " + query + " took " + took + ": " + addrinfo_list_repr(infos));
}

void log_connected(int fd, const std::optional<std::string>& host, std::optional<int> port,
                   const Connected& made) {
  std::string where = host.value_or("None") + ":" + (port ? std::to_string(*port) : "None");
  log(LogLevel::debug, socket_repr(fd, true) + " connected to " + where + ": " +
                           pair_repr(*made.first, made.second.get()));
}

void log_handled(int fd, const Connected& made) {
  log(LogLevel::debug,
      socket_repr(fd, true) + " handled: " + pair_repr(*made.first, made.second.get()));
}

void log_serving(const std::vector<int>& listening) {
  log(LogLevel::info, server_repr(listening) + " is serving");
}

void log_new_connection(const std::vector<int>& listening, const SockAddr& peer, int conn) {
  log(LogLevel::debug, server_repr(listening) + " got a new connection from " + peer.repr() + ": " +
                           socket_repr(conn, false));
}

void log_pipe_connected(bool read, int fd, const BaseTransport& transport,
                        const BaseProtocol* protocol) {
  log(LogLevel::debug, std::string(read ? "Read" : "Write") + " pipe " + std::to_string(fd) +
                           " connected: " + pair_repr(transport, protocol));
}

void log_datagram_created(const DatagramOptions& options, const BaseTransport& transport,
                          const BaseProtocol* protocol) {
  const std::string made = " created: " + pair_repr(transport, protocol);
  const std::string remote = "remote_addr=" + host_port_repr(options.remote_addr);
  if (options.local_addr)
    log(LogLevel::info,
        "Datagram endpoint local_addr=" + host_port_repr(options.local_addr) + " " + remote + made);
  else
    log(LogLevel::debug, "Datagram endpoint " + remote + made);
}

std::string subprocess_title(const std::vector<std::string>& argv, bool shell) {
  if (shell) return "run shell command " + py_str_repr(argv.back());  // /bin/sh -c <cmd>
  return "execute program " + py_str_repr(argv.empty() ? "" : argv.front());
}

void log_subprocess_start(const std::string& title, const SubprocessOptions& options) {
  // loop.subprocess_exec's own default is PIPE; INHERIT is Python's None, which is not shown.
  const int in = options.stdin_.value_or(PIPE);
  const int out = options.stdout_.value_or(PIPE);
  const int err = options.stderr_.value_or(PIPE);
  std::string text = title;
  if (in != INHERIT) text += " stdin=" + pipe_repr(in);
  if (out != INHERIT && err == STDOUT) {
    text += " stdout=stderr=" + pipe_repr(out);
  } else {
    if (out != INHERIT) text += " stdout=" + pipe_repr(out);
    if (err != INHERIT) text += " stderr=" + pipe_repr(err);
  }
  log(LogLevel::debug, text);
}

void log_subprocess_created(const std::string& title, const BaseTransport& transport) {
  log(LogLevel::info, title + ": " + transport.repr());
}

}  // namespace asyncio::detail
