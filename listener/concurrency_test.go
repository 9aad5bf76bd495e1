//go:build linux

package listener

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// TestConcurrentOpenKeepsUmask opens UNIX-socket units with strict and lax SocketMode= from many
// goroutines, one shared FSThread and per-Open threads alike, while other goroutines create
// files: every socket node gets exactly its mode, and no other file sees a changed umask.
func TestConcurrentOpenKeepsUmask(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // every file-system thread has ended
	dir := t.TempDir()
	mask := processUmask()
	fs := NewFSThread()
	defer fs.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 40 {
		wg.Go(func() {
			mode := []uint32{0o600, 0o666, 0o640, 0o777}[i%4]
			u := newUnit(fmt.Sprintf("c%d.socket", i), listenUnix(socketunit.ListenStream, fmt.Sprintf("%s/s%d", dir, i)))
			u.SocketMode = mode
			o := OpenOptions{}
			if i%2 == 0 {
				o.FS = fs
			}
			s, err := Open(context.Background(), u, o)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			var st unix.Stat_t
			if err := unix.Stat(u.Listen[0].Address.Path, &st); err != nil || st.Mode&0o777 != mode {
				errs <- fmt.Errorf("%s: mode %04o, want %04o (%v)", u.Name, st.Mode&0o777, mode, err)
			}
		})
		wg.Go(func() {
			p := filepath.Join(dir, fmt.Sprintf("f%d", i))
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
			if err != nil {
				errs <- err
				return
			}
			f.Close()
			if st, err := os.Stat(p); err != nil || uint32(st.Mode().Perm()) != 0o666&^mask {
				errs <- fmt.Errorf("%s: mode %v, want %04o: the process umask changed", p, st.Mode().Perm(), 0o666&^mask)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := processUmask(); got != mask {
		t.Errorf("process umask %04o after the test, was %04o", got, mask)
	}
}
