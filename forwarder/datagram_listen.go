//go:build linux

package forwarder

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// listenDatagram opens the datagram socket that --listen-datagram=ADDR names, in the address
// grammar of ListenDatagram=: PORT (every address, IPv6 and IPv4), IPv4:PORT, [IPv6]:PORT,
// /path (a stale socket file there is replaced) or @abstract. The returned file is the
// caller's to close.
func listenDatagram(addr string) (*os.File, error) {
	network, address, err := datagramListenAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if network == "unixgram" && address[0] == '/' {
		if fi, err := os.Lstat(address); err == nil && fi.Mode().Type() == os.ModeSocket {
			os.Remove(address)
		}
	}
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		if network != "udp4" && network != "udp6" {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			if network == "udp6" {
				// A wildcard address means both families, as in a socket unit with
				// BindIPv6Only=default.
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
			}
			if ap, err := netip.ParseAddrPort(address); serr == nil && err == nil && ap.Addr().IsUnspecified() {
				// From the first datagram on, not only from when serveDatagram starts.
				family := unix.AF_INET6
				if network == "udp4" {
					family = unix.AF_INET
				}
				serr = enablePktinfo(int(fd), family)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	defer pc.Close()
	f, err := pc.(interface{ File() (*os.File, error) }).File()
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return f, nil
}

// datagramListenAddr turns ADDR into a network and address for net.ListenPacket.
func datagramListenAddr(addr string) (network, address string, err error) {
	switch {
	case addr == "":
		return "", "", fmt.Errorf("empty address")
	case addr[0] == '/' || addr[0] == '@':
		if len(addr) >= len(unix.RawSockaddrUnix{}.Path) {
			return "", "", fmt.Errorf("does not fit in an AF_UNIX address")
		}
		return "unixgram", addr, nil
	}
	if p, err := strconv.ParseUint(addr, 10, 16); err == nil {
		if p == 0 {
			return "", "", fmt.Errorf("port 0 is not allowed")
		}
		return "udp", "[::]:" + addr, nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("not PORT, IPv4:PORT, [IPv6]:PORT, /path or @abstract")
	}
	if ap.Addr().Is4() {
		return "udp4", ap.String(), nil
	}
	return "udp6", ap.String(), nil
}
