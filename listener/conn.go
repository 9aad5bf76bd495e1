//go:build linux

package listener

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// ApplyConnectionOptions gives a connection accepted on one of u's sockets the unit's options,
// as systemd does for Accept=yes (the after-listen rows), and undoes what Go's net package
// sets on accepted TCP connections: TCP_NODELAY is cleared unless NoDelay=yes, keepalive is
// off unless KeepAlive=yes, and keepalive timers the unit leaves unset get the kernel's
// defaults back. Failures the kernel reports as unsupported or not permitted are ignored (systemd
// logs them at debug level); the others are returned joined, and the connection stays usable.
func ApplyConnectionOptions(u *socketunit.Socket, conn *os.File) error {
	return withFD(conn, func(fd int) error { return ApplyConnectionOptionsFD(u, fd) })
}

// ApplyConnectionOptionsFD is ApplyConnectionOptions for a raw connection fd (from accept4).
func ApplyConnectionOptionsFD(u *socketunit.Socket, fd int) error {
	var a socketunit.Address
	a.Family, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	a.Type, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	a.Protocol, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	var errs []error
	collect := func(o *sockOption, err error) error {
		if !quietFailure(err) {
			errs = append(errs, err)
		}
		return nil
	}
	applyStage(fd, u, &a, stageAfterListen, collect)
	if isTCP(&a) {
		errs = append(errs, undoGoDefaults(fd, u))
	}
	return errors.Join(errs...)
}

// undoGoDefaults resets what Go forces on accepted TCP connections (TCP_NODELAY, a 15 s
// keepalive) to the unit's settings.
func undoGoDefaults(fd int, u *socketunit.Socket) error {
	var errs []error
	if !u.NoDelay {
		errs = append(errs, unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 0))
	}
	if !u.KeepAlive {
		errs = append(errs, unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0))
		return errors.Join(errs...)
	}
	defaults := []struct {
		set  bool
		opt  int
		file string
	}{
		{u.KeepAliveTime > 0 && u.KeepAliveTime != socketunit.Infinity, unix.TCP_KEEPIDLE, "tcp_keepalive_time"},
		{u.KeepAliveInterval > 0 && u.KeepAliveInterval != socketunit.Infinity, unix.TCP_KEEPINTVL, "tcp_keepalive_intvl"},
		{u.KeepAliveProbes > 0, unix.TCP_KEEPCNT, "tcp_keepalive_probes"},
	}
	for _, d := range defaults {
		if d.set {
			continue
		}
		b, err := os.ReadFile("/proc/sys/net/ipv4/" + d.file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, d.opt, n)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
