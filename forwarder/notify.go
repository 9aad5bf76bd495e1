//go:build linux

package forwarder

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier reports readiness to a service manager over the sd_notify protocol: one unixgram
// datagram per state to $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), plus
// watchdog pings when $WATCHDOG_USEC asks for them. Without NOTIFY_SOCKET every call is a no-op.
type notifier struct {
	log      *slog.Logger
	socket   string        // NOTIFY_SOCKET; "" when nobody listens
	watchdog time.Duration // WATCHDOG_USEC when it is meant for this process; 0 = no watchdog
}

// newNotifier returns a notifier configured from NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
// as they are now.
func newNotifier(log *slog.Logger) *notifier { return newNotifierEnv(log, os.Getenv) }

// newNotifierEnv is newNotifier reading the environment through getenv.
func newNotifierEnv(log *slog.Logger, getenv func(string) string) *notifier {
	n := &notifier{log: log}
	switch s := getenv("NOTIFY_SOCKET"); {
	case s == "":
	case s[0] == '/' || s[0] == '@':
		n.socket = s
	default:
		log.Warn("NOTIFY_SOCKET is neither a path nor an abstract @name, not sending readiness", "notify_socket", s)
	}
	if n.socket == "" {
		return n
	}
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return n
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		log.Debug("WATCHDOG_PID names another process, not pinging the watchdog", "watchdog_pid", pid)
		return n
	}
	v, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || v == 0 || v > uint64(time.Duration(1<<63-1)/time.Microsecond) {
		log.Warn("WATCHDOG_USEC is not a positive number of microseconds, not pinging the watchdog", "watchdog_usec", usec)
		return n
	}
	n.watchdog = time.Duration(v) * time.Microsecond
	return n
}

// Ready tells the service manager that the sockets are being served (READY=1).
func (n *notifier) Ready() { n.notify("READY=1", slog.LevelWarn) }

// Stopping tells the service manager that the forwarder is shutting down (STOPPING=1).
func (n *notifier) Stopping() { n.notify("STOPPING=1", slog.LevelWarn) }

// Run pings the watchdog (WATCHDOG=1) at once and then every half WATCHDOG_USEC until ctx is
// done; it returns at once when no watchdog is asked for.
func (n *notifier) Run(ctx context.Context) {
	if n.socket == "" || n.watchdog == 0 {
		return
	}
	t := time.NewTicker(n.watchdog / 2)
	defer t.Stop()
	for {
		n.notify("WATCHDOG=1", slog.LevelDebug)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// notify sends one state datagram; a failure is logged at level and otherwise ignored, as the
// forwarder keeps serving whether or not a manager hears it.
func (n *notifier) notify(state string, level slog.Level) {
	if n.socket == "" {
		return
	}
	if err := n.send(state); err != nil {
		n.log.Log(context.Background(), level, "sd_notify failed", "state", state, "err", err)
	}
}

func (n *notifier) send(state string) error {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("connect NOTIFY_SOCKET %s: %w", n.socket, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("send to NOTIFY_SOCKET %s: %w", n.socket, err)
	}
	return nil
}
