//go:build linux

package listener

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/internal/testnet"
	"github.com/sockvisor/sockvisor/socketunit"
)

// newUnit returns a socket unit with systemd's defaults and the given listen entries.
func newUnit(name string, ls ...socketunit.Listen) *socketunit.Socket {
	return &socketunit.Socket{
		Name: name, Listen: ls,
		Backlog: 2147483647, SocketMode: 0o666, DirectoryMode: 0o755,
		MaxConnections: 64, Priority: -1, IPTOS: -1, IPTTL: -1, Mark: -1,
		AcceptFileDescriptors: true,
	}
}

func listenInet(kind socketunit.ListenKind, ip string, port uint16) socketunit.Listen {
	a := netip.MustParseAddr(ip)
	fam := unix.AF_INET6
	if a.Is4() {
		fam = unix.AF_INET
	}
	return socketunit.Listen{Kind: kind, Address: socketunit.Address{Family: fam, Type: kindType(kind), IP: a, Port: port}}
}

func kindType(kind socketunit.ListenKind) int {
	switch kind {
	case socketunit.ListenDatagram:
		return unix.SOCK_DGRAM
	case socketunit.ListenSequentialPacket:
		return unix.SOCK_SEQPACKET
	case socketunit.ListenNetlink:
		return unix.SOCK_RAW
	}
	return unix.SOCK_STREAM
}

func listenUnix(kind socketunit.ListenKind, path string) socketunit.Listen {
	return socketunit.Listen{Kind: kind, Address: socketunit.Address{Family: unix.AF_UNIX, Type: kindType(kind), Path: path}}
}

func listenPath(kind socketunit.ListenKind, path string) socketunit.Listen {
	return socketunit.Listen{Kind: kind, Path: path}
}

// freePort returns a port that is free for TCP and UDP on loopback right now (see testnet).
func freePort(t testing.TB) uint16 {
	t.Helper()
	return uint16(testnet.Port(t))
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}

// countFDs returns the number of open fds of this process.
func countFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// reading returns the reading for key from a report, failing the test if absent.
func reading(t testing.TB, r Report, key string) Reading {
	t.Helper()
	for _, x := range r.Readings {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("no reading %s in %+v", key, r)
	return Reading{}
}

func fdList(t testing.TB) string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b []string
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		b = append(b, e.Name()+"="+l)
	}
	return fmt.Sprint(b)
}

func sysctlInt(t testing.TB, name string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/" + name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// uniq makes a name of the shared abstract or message-queue namespace unique to this test
// process, so that concurrent test runs on one machine do not collide.
func uniq(name string) string { return name + "-" + strconv.Itoa(os.Getpid()) }
