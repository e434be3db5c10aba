/* bench/uv_echo_server: the libuv peer of asyncio-echo-server for the echo benchmarks.
 *   uv_echo_server --port=N
 * Prints "ready" once it listens on 127.0.0.1:N; exits on SIGINT or SIGTERM.
 *
 * As raw_asio_echo_server does: one loop on one thread, a 256 KiB read buffer per connection
 * (malloc'd and left untouched, so only the pages a read fills count in RSS), TCP_NODELAY on
 * each accepted socket, and per connection read, write back what was read, read again. */
#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kBufferSize = 256 * 1024 };

typedef struct {
  uv_tcp_t tcp; /* first: the handle is the connection */
  uv_write_t write;
  char* buffer;
} Connection;

static void on_closed(uv_handle_t* h) {
  Connection* c = (Connection*)h;
  free(c->buffer);
  free(c);
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  *buf = uv_buf_init(((Connection*)h)->buffer, kBufferSize);
}

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);

static void on_written(uv_write_t* req, int status) {
  uv_stream_t* s = req->handle;
  if (status < 0 || uv_read_start(s, on_alloc, on_read) < 0) uv_close((uv_handle_t*)s, on_closed);
}

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == 0) return; /* EAGAIN */
  if (n < 0) {
    uv_close((uv_handle_t*)s, on_closed);
    return;
  }
  Connection* c = (Connection*)s;
  uv_read_stop(s); /* one message in flight: the buffer is busy until it is written back */
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)n);
  if (uv_write(&c->write, s, &out, 1, on_written) < 0) uv_close((uv_handle_t*)s, on_closed);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  Connection* c = calloc(1, sizeof *c);
  c->buffer = malloc(kBufferSize);
  uv_tcp_init(server->loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t*)&c->tcp) < 0) {
    uv_close((uv_handle_t*)&c->tcp, on_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

static void on_signal(uv_signal_t* sig, int signum) {
  (void)signum;
  uv_stop(sig->loop);
}

int main(int argc, char** argv) {
  int port = -1;
  if (argc == 2 && strncmp(argv[1], "--port=", 7) == 0) port = atoi(argv[1] + 7);
  if (port < 0) {
    fprintf(stderr, "usage: %s --port=N\n", argv[0]);
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", port, &addr);
  uv_tcp_init(loop, &server);
  int rc = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t*)&server, 4096, on_connection);
  if (rc < 0) {
    fprintf(stderr, "uv_echo_server: %s\n", uv_strerror(rc));
    return 1;
  }
  uv_signal_t sigint, sigterm;
  uv_signal_init(loop, &sigint);
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  puts("ready");
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
