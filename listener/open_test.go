//go:build linux

package listener

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/sockvisor/sockvisor/socketunit"
)

func TestOpenStreamAndUnix(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	u := newUnit("smoke.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenStream, filepath.Join(dir, "sub", "s.sock")),
		listenUnix(socketunit.ListenDatagram, uniq("@sockvisor-test-smoke")),
	)
	u.SocketMode = 0o600
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Files()) != 3 {
		t.Fatalf("files = %d", len(s.Files()))
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(int(port)))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, fd := range s.FDs {
		r, err := ReadBack(u, fd)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s %+v", r.Kind, r.Address, r.Readings)
		for _, x := range r.Readings {
			if !x.OK() {
				t.Errorf("%s %s: %+v", r.Kind, r.Address, x)
			}
		}
	}
}
