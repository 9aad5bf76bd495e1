package testnet

import (
	"net"
	"strconv"
	"testing"
)

// TestPort: the port is below the ephemeral range and both TCP and UDP can bind it on loopback.
func TestPort(t *testing.T) {
	for range 20 {
		p := Port(t)
		if p < lowest || p >= ephemeralStart() {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, ephemeralStart())
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("TCP port %d: %v", p, err)
		}
		c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
		l.Close()
		if err != nil {
			t.Fatalf("UDP port %d: %v", p, err)
		}
		c.Close()
	}
}

// TestPortSkipsBusy: a port something listens on is not free.
func TestPortSkipsBusy(t *testing.T) {
	p := Port(t)
	l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if free(p) {
		t.Errorf("port %d reported free while listened on", p)
	}
}
