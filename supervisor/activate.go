//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// ActivateListen is one socket for Activate to listen on.
type ActivateListen struct {
	Address string // systemd's address syntax: PORT, IP:PORT, [IPv6]:PORT, /path, @abstract, vsock:CID:PORT
	Type    int    // unix.SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; 0 = ActivateOptions.SocketType
}

// ActivateOptions is a parsed `sockvisor activate` (systemd-socket-activate) command line.
type ActivateOptions struct {
	Listen     []ActivateListen // in command-line order, which is fd order after the inherited fds
	SocketType int              // the type of Listen entries without their own (-d, --seqpacket); 0 = stream
	Accept     bool             // one child per connection
	Inetd      bool             // the connection (or the only socket) becomes stdin and stdout
	Now        bool             // exec at once instead of on first traffic
	SetEnv     []string         // -E assignments, already checked with CheckActivateEnv
	FDNames    []string         // --fdname names; nil when none was given
	Argv       []string         // the command, argv[0] included

	Environ  []string  // the caller's environment (os.Environ())
	Stderr   io.Writer // where the messages go
	ShimPath string    // the sockvisor binary for per-connection children; "" = the running binary
}

// Activate listens on the sockets and runs the command like systemd-socket-activate: without
// Accept it execs the command in place (LISTEN_PID is then sockvisor's own PID) on the first
// traffic, or at once with Now; with Accept it forks one child per connection, with the
// connection at fd 3, and reaps them. It returns an exit code only when it does not exec.
//
// Inherited sockets (LISTEN_FDS for this PID) come first and are passed on. Messages and exit
// codes are systemd-socket-activate's (252); see the README "activate" section for the
// differences.
func Activate(ctx context.Context, o ActivateOptions) int {
	w := o.Stderr
	if o.SocketType == 0 {
		o.SocketType = unix.SOCK_STREAM
	}
	fds, err := inheritedActivateFDs(o.Environ, o.Accept)
	if err != nil {
		fmt.Fprintf(w, "Failed to read listening file descriptors from environment: %s\n", errnoText(err))
		return 1
	}
	for _, l := range o.Listen {
		typ := l.Type
		if typ == 0 {
			typ = o.SocketType
		}
		fd, err := openListen(l.Address, typ, w)
		if err != nil {
			fmt.Fprintf(w, "Failed to open '%s': %s\n", l.Address, errnoText(err))
			closeAll(fds)
			return 1
		}
		fds = append(fds, fd)
		a, _ := socketunit.ParseAddress(l.Address)
		fmt.Fprintf(w, "Listening on %s as %d.\n", a.String(), 2+len(fds))
	}
	if len(fds) == 0 {
		fmt.Fprintln(w, "No sockets to listen on specified or passed in.")
		return 1
	}
	if o.Inetd && !o.Accept && len(fds) != 1 {
		fmt.Fprintln(w, "--inetd only supported for single file descriptors.")
		closeAll(fds)
		return 1
	}
	if o.Accept {
		return activateAccept(ctx, o, fds)
	}
	if !o.Now {
		ready, err := waitTraffic(fds)
		if err != nil {
			fmt.Fprintf(w, "epoll_wait() failed: %s\n", errnoText(err))
			return 1
		}
		fmt.Fprintf(w, "Communication attempt on fd %d.\n", 3+ready)
	}
	return activateExec(o, fds)
}

// openListen parses an address, forces the socket type and opens it.
func openListen(addr string, typ int, w io.Writer) (int, error) {
	a, err := socketunit.ParseAddress(addr)
	if err != nil {
		fmt.Fprintf(w, "Failed to parse socket address \"%s\": %s\n", addr, errnoText(err))
		return -1, err
	}
	if a.Type == 0 {
		a.Type = typ
	}
	return openActivateSocket(a)
}

// inheritedActivateFDs takes the fds passed to this process (sd_listen_fds with unset_env):
// LISTEN_FDS fds from 3 when LISTEN_PID is our PID. In accept mode they become close-on-exec.
func inheritedActivateFDs(environ []string, accept bool) ([]int, error) {
	get := envLookup(environ)
	defer func() {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}()
	pidText, ok := get("LISTEN_PID")
	if !ok {
		return nil, nil
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return nil, unix.EINVAL
	}
	if pid != os.Getpid() {
		return nil, nil
	}
	nText, ok := get("LISTEN_FDS")
	if !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(nText)
	if err != nil || n <= 0 {
		return nil, unix.EINVAL
	}
	fds := make([]int, n)
	for i := range fds {
		fds[i] = 3 + i
		if accept {
			unix.CloseOnExec(3 + i)
		}
	}
	return fds, nil
}

// waitTraffic blocks in epoll_wait until one of fds is readable and returns its index. It uses
// no Go poller, so that the runtime holds no epoll fd that activateExec could overwrite.
func waitTraffic(fds []int) (int, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(ep)
	for i, fd := range fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return -1, err
		}
	}
	evs := make([]unix.EpollEvent, 1)
	for {
		n, err := unix.EpollWait(ep, evs, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, err
		}
		if n > 0 {
			return int(evs[0].Fd), nil
		}
	}
}

// activateEnv builds the child's environment as systemd-socket-activate does, from scratch:
// the first entries of the caller's environment that start with TERM, PATH, USER and HOME (a
// prefix match, as 252 does), LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (not with --inetd), then
// the -E assignments, each replacing an earlier entry of the same name in place.
func activateEnv(o *ActivateOptions, nfds, pid int) []string {
	var b envBuilder
	for _, prefix := range []string{"TERM", "PATH", "USER", "HOME"} {
		for _, kv := range o.Environ {
			if strings.HasPrefix(kv, prefix) {
				b.set(kv)
				break
			}
		}
	}
	if !o.Inetd {
		b.set("LISTEN_FDS=" + strconv.Itoa(nfds))
		b.set("LISTEN_PID=" + strconv.Itoa(pid))
		if o.FDNames != nil {
			b.set("LISTEN_FDNAMES=" + activateFDNames(o, nfds))
		}
	}
	for _, kv := range o.SetEnv {
		b.set(kv)
	}
	return b.list
}

// activateFDNames joins the --fdname names; a single name stands for every fd.
func activateFDNames(o *ActivateOptions, nfds int) string {
	if len(o.FDNames) == 1 && nfds > 1 {
		names := make([]string, nfds)
		for i := range names {
			names[i] = o.FDNames[0]
		}
		return strings.Join(names, ":")
	}
	if len(o.FDNames) != nfds {
		fmt.Fprintf(o.Stderr, "The number of fd names is different than number of fds: %d vs %d\n", len(o.FDNames), nfds)
	}
	return strings.Join(o.FDNames, ":")
}

// CheckActivateEnv turns one -E argument into an assignment: NAME=VALUE as given, NAME alone
// takes the value from environ (empty when unset). An invalid name or value is an error, which
// systemd-socket-activate reports as "Cannot assign environment variable %s: Invalid argument".
func CheckActivateEnv(arg string, environ []string) (string, error) {
	name, value, hasValue := strings.Cut(arg, "=")
	if !hasValue {
		value, _ = envLookup(environ)(name)
	}
	if !validEnvName(name) || !validEnvValue(value) {
		return "", unix.EINVAL
	}
	return name + "=" + value, nil
}

// validEnvValue: UTF-8 without control characters other than newline and tab (env_value_is_valid).
func validEnvValue(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

// errnoText prints an error's errno the way strerror does ("Address already in use").
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
