// Package testnet picks loopback ports for tests that must name a port before something
// binds it (a command line, a unit file).
//
// A port the kernel hands out for ":0" comes from the ephemeral range, the same range every
// outgoing connection of every concurrently running test takes its local port from: between
// the pick and the bind, a connect elsewhere can take it. Port picks below that range instead.
//
// Typical use:
//
//	port := testnet.Port(t)
//	cmd := exec.Command(bin, "proxy", "--listen=127.0.0.1:"+strconv.Itoa(port), target)
package testnet

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// lowest is the lowest port Port picks: above the well-known and most registered services.
const lowest = 10000

// Port returns a port that is free for TCP and UDP on every local address right now and lies
// below the kernel's ephemeral port range.
func Port(t testing.TB) int {
	t.Helper()
	top := ephemeralStart()
	for range 1000 {
		p := lowest + rand.IntN(max(1, top-lowest))
		if free(p) {
			return p
		}
	}
	t.Fatalf("no free port between %d and %d", lowest, top)
	return 0
}

// free reports whether TCP and UDP can bind p on the wildcard address (which covers 127.0.0.1
// and ::1).
func free(p int) bool {
	addr := ":" + strconv.Itoa(p)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ephemeralStart is the first port of the kernel's ephemeral range (32768 when unknown).
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= lowest+100 {
		return 32768
	}
	return n
}
