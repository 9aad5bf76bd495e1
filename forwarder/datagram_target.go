//go:build linux

package forwarder

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// datagramTarget is where datagram flows go: a UDP address or a unixgram socket, written in the
// grammar of the stream target (parseTarget).
type datagramTarget struct {
	spec string        // as given
	host string        // a name to resolve on first use; "" when sa is fixed
	port int           // with host
	sa   unix.Sockaddr // the address; nil until host is resolved (once, then kept)

	failed    time.Time // when the last lookup failed
	failedErr error     // and why
}

// datagramResolveRetry is how long a failed lookup is not repeated: datagrams of new clients
// meanwhile are dropped at once instead of each stalling the loop in a lookup.
const datagramResolveRetry = time.Second

// parseDatagramTarget reads TARGET for datagrams: "/path" or "@abstract" is a unixgram socket,
// anything else a UDP destination (HOST:PORT, [IPv6]:PORT, IPv6:PORT, HOST for port 80).
func parseDatagramTarget(spec string) (*datagramTarget, error) {
	t, err := parseTarget(spec)
	if err != nil {
		return nil, fmt.Errorf("target %w", err)
	}
	dt := &datagramTarget{spec: spec, host: t.host, port: t.port}
	if len(t.fixed) > 0 {
		if sockaddrFamily(t.fixed[0]) == unix.AF_VSOCK {
			return nil, fmt.Errorf("target %q: datagram forwarding needs a UDP or unixgram target", spec)
		}
		dt.sa = t.fixed[0]
	}
	return dt, nil
}

// resolve returns the target's socket address, looking a host name up on first use (the first
// IPv4 address if there is one, as Go's resolver does for "udp") and keeping the answer; a
// failed lookup is repeated at most once per datagramResolveRetry.
func (t *datagramTarget) resolve(now time.Time) (unix.Sockaddr, error) {
	if t.sa != nil {
		return t.sa, nil
	}
	if t.failedErr != nil && now.Sub(t.failed) < datagramResolveRetry {
		return nil, t.failedErr
	}
	a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(t.host, strconv.Itoa(t.port)))
	if err != nil {
		t.failed, t.failedErr = now, fmt.Errorf("resolve %s: %w", t.spec, err)
		return nil, t.failedErr
	}
	ap := a.AddrPort()
	t.sa = ipSockaddr(ap.Addr().Unmap(), int(ap.Port()))
	return t.sa, nil
}
