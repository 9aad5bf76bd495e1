//go:build linux

package listener

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// unixUnits returns n units with one UNIX path listener each, in dir.
func unixUnits(dir string, n int) []*socketunit.Socket {
	units := make([]*socketunit.Socket, n)
	for i := range units {
		units[i] = newUnit(fmt.Sprintf("p%04d.socket", i), listenUnix(socketunit.ListenStream, fmt.Sprintf("%s/%04d.sock", dir, i)))
	}
	return units
}

// thousandUnits returns n units with one TCP listener each, on 127.0.x.y and one port.
func thousandUnits(t testing.TB, n int) []*socketunit.Socket {
	port := freePort(t)
	units := make([]*socketunit.Socket, n)
	for i := range units {
		ip := netip.AddrFrom4([4]byte{127, 1, byte(i / 250), byte(i%250 + 1)})
		units[i] = newUnit(fmt.Sprintf("u%04d.socket", i), listenInet(socketunit.ListenStream, ip.String(), port))
	}
	return units
}

// TestOpenThousandUnits is the figure: opening 1,000 listeners from 1,000 units takes
// under a second (the race detector's slowdown is allowed for).
func TestOpenThousandUnits(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		if took := openThousand(t, thousandUnits(t, 1000), nil); took > time.Second*raceSlowdown {
			t.Errorf("took %v, want under %v", took, time.Second*raceSlowdown)
		}
	})
	// UNIX path sockets are bound on a private OS thread (exact SocketMode=). Creating the node
	// is the file system's work: compare with plain socket+bind+listen in the same run.
	t.Run("unix", func(t *testing.T) {
		raw := rawUnixBinds(t, t.TempDir(), 1000)
		took := openThousand(t, unixUnits(t.TempDir(), 1000), nil)
		fs := NewFSThread()
		defer fs.Close()
		shared := openThousand(t, unixUnits(t.TempDir(), 1000), fs)
		t.Logf("1000 UNIX path units: %v (own thread per Open), %v (shared FSThread); bare socket+bind+listen: %v", took, shared, raw)
	})
}

// rawUnixBinds times n bare UNIX socket binds, the floor for opening n path units.
func rawUnixBinds(t *testing.T, dir string, n int) time.Duration {
	fds := make([]int, 0, n)
	start := time.Now()
	for i := range n {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: fmt.Sprintf("%s/%04d.sock", dir, i)}); err != nil {
			t.Fatal(err)
		}
		unix.Listen(fd, 128)
	}
	took := time.Since(start)
	for _, fd := range fds {
		unix.Close(fd)
	}
	return took
}

// openThousand opens every unit and returns how long it took.
func openThousand(t *testing.T, units []*socketunit.Socket, fs *FSThread) time.Duration {
	sets := make([]*Set, 0, len(units))
	start := time.Now()
	for _, u := range units {
		s, err := Open(context.Background(), u, OpenOptions{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, s)
	}
	took := time.Since(start)
	for _, s := range sets {
		s.Close()
	}
	t.Logf("opened %d listeners from %d units in %v (%v per unit)", len(units), len(units), took, took/time.Duration(len(units)))
	return took
}

// BenchmarkOpen measures opening (and closing) one unit with one TCP listener.
func BenchmarkOpen(b *testing.B) {
	units := thousandUnits(b, 1)
	for b.Loop() {
		s, err := Open(context.Background(), units[0], OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
