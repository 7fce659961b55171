// Syscalls and GNU extensions that Swift's Glibc module does not import (epoll, pidfd, prctl,
// posix_spawn's setsid/chdir/closefrom, ptys, SO_PEERCRED, sockaddr_un) or imports awkwardly
// (variadic ioctl, packed epoll_event). Every function returns -1 and leaves errno set on failure
// unless it says otherwise.
#ifndef DISPATCH_SYS_H
#define DISPATCH_SYS_H

#include <stdint.h>
#include <sys/types.h>
// Also in the umbrella folder; included here so a module cache built before it existed notices it.
#include "dispatch_service.h"

#define DSYS_EV_IN 0x001u
#define DSYS_EV_OUT 0x004u
#define DSYS_EV_ERR 0x008u
#define DSYS_EV_HUP 0x010u
#define DSYS_EV_RDHUP 0x2000u

typedef struct {
    uint32_t events;
    uint64_t token;
} dsys_event;

int dsys_epoll_create(void);
/// op: 0 add, 1 modify, 2 delete.
int dsys_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
int dsys_epoll_wait(int epfd, dsys_event *events, int capacity, int timeout_ms);

int dsys_eventfd(void);
int dsys_pidfd_open(pid_t pid);
/// Signals the process a pidfd refers to: unlike kill(), never a later process that reused its pid.
int dsys_pidfd_send_signal(int pidfd, int signal);
int dsys_pipe(int fds[2]);
int dsys_set_nonblocking(int fd, int on);
int dsys_set_child_subreaper(void);
/// Fills `buf` from the kernel CSPRNG; returns bytes written.
ssize_t dsys_getrandom(void *buf, size_t len);

/// Blocks `signals` in the calling thread (inherited by threads made later) and returns a signalfd for them.
int dsys_signalfd(const int *signals, int count);
/// The number of the next pending signal on a signalfd, 0 when none is pending.
int dsys_signalfd_next(int fd);

/// A master pty (close-on-exec, non-blocking) and its slave's path.
int dsys_open_pty(int *master, char *slave_path, size_t slave_path_len);
int dsys_set_winsize(int fd, uint16_t cols, uint16_t rows);

/// posix_spawnp with every signal at its default, an empty mask, cwd set, and no fd above 2 inherited.
/// With `tty_path`, the child is a session leader with that terminal as its controlling tty and stdio;
/// otherwise its stdio is `stdin_fd`/`stdout_fd`/`stderr_fd` (-1: /dev/null) and `new_session` says setsid.
/// `inherit_fd` (-1: none) reaches the child as fd 3, the one exception to "no fd above 2".
/// Returns 0 or an errno value (posix_spawn reports a failed exec, e.g. ENOENT, this way).
int dsys_spawn(pid_t *pid, const char *file, char *const argv[], char *const envp[], const char *cwd,
               const char *tty_path, int stdin_fd, int stdout_fd, int stderr_fd, int new_session, int inherit_fd);

int dsys_unix_listen(const char *path, int backlog);
int dsys_unix_connect(const char *path);
int dsys_accept(int listen_fd);
int dsys_peer_credentials(int fd, pid_t *pid, uid_t *uid);
/// A non-blocking TCP listener on `host` (an IPv4 or IPv6 literal, or a name) and `port` (0: any free port),
/// with SO_REUSEADDR. The bound port is written to `bound_port`.
int dsys_tcp_listen(const char *host, int port, int backlog, int *bound_port);
/// The peer's address as text ("127.0.0.1", "::1"), for rate limiting and logs.
int dsys_peer_address(int fd, char *out, size_t out_len);
int dsys_tcp_nodelay(int fd);

/// send() that never raises SIGPIPE on a closed peer.
ssize_t dsys_send(int fd, const void *buf, size_t len);

#endif
