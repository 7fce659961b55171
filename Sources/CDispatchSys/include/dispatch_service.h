// What a service needs from its supervisor's side of the machine, without libsystemd: the
// sd_notify datagram (with descriptors for systemd's fd store) and a blocking loopback probe for
// health checks in images that have no curl.
#ifndef DISPATCH_SERVICE_H
#define DISPATCH_SERVICE_H

/// Sends `message` as one datagram to the AF_UNIX socket at `path` (a leading '@' names the abstract
/// namespace), with `fds` attached as SCM_RIGHTS when `nfds` > 0. Returns 0, or -1 with errno set.
int dsys_notify(const char *path, const char *message, const int *fds, int nfds);

/// A blocking TCP connection to `host`:`port` whose connect, send and receive each give up after
/// `timeout_ms`. Returns the fd (close-on-exec), or -1 with errno set.
int dsys_tcp_connect(const char *host, int port, int timeout_ms);

#endif
