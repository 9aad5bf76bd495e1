//go:build linux

package supervisor

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testnet"
)

// writeAtomic replaces a file the way editors do: a temporary file renamed over it.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// echoBackend is a TCP echo server for the in-process proxy to forward to.
func echoBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return l.Addr().String()
}

// TestRunReloadUnderLoad edits units (socket and service files, through the directory watch and
// SIGHUP), adds and removes a unit, all while clients keep connecting to an Accept=yes unit and
// to an Accept=no unit served by the in-process proxy: not one connection may fail.
func TestRunReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	yesPort, noPort := testnet.Port(t), testnet.Port(t)
	backend := echoBackend(t)
	yesSocket := func(n int) string {
		return fmt.Sprintf("[Unit]\nDescription=echo, edit %d\n[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nTriggerLimitIntervalSec=0\nMaxConnections=512\nBacklog=1024\n", n, yesPort)
	}
	yesService := func(n int) string {
		return fmt.Sprintf("[Service]\nExecStart=/bin/cat\nEnvironment=EDIT=%d\nStandardInput=socket\nStandardOutput=socket\n", n)
	}
	noSocket := func(n int) string {
		return fmt.Sprintf("[Unit]\nDescription=proxy, edit %d\n[Socket]\nListenStream=127.0.0.1:%d\nBacklog=1024\n", n, noPort)
	}
	noService := func(n int) string {
		return fmt.Sprintf("[Service]\nEnvironment=EDIT=%d\nExecStart=/lib/systemd/systemd-socket-proxyd %s\n", n, backend)
	}
	writeAtomic(t, filepath.Join(dir, "yes.socket"), yesSocket(0))
	writeAtomic(t, filepath.Join(dir, "yes@.service"), yesService(0))
	writeAtomic(t, filepath.Join(dir, "no.socket"), noSocket(0))
	writeAtomic(t, filepath.Join(dir, "no.service"), noService(0))
	r := startRun(t, dir)
	inner := r.cmd.Process.Pid

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", []int{yesPort, noPort}[i%2])
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				msg := fmt.Sprintf("client %s #%d", addr, n)
				got, err := echoLine(addr, msg)
				if err != nil || got != msg {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %q %v", addr, got, err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	extra := filepath.Join(dir, "extra.socket")
	for n := 1; n <= 8; n++ {
		time.Sleep(350 * time.Millisecond)
		writeAtomic(t, filepath.Join(dir, "yes.socket"), yesSocket(n))
		writeAtomic(t, filepath.Join(dir, "no.service"), noService(n))
		if n%2 == 0 {
			writeAtomic(t, filepath.Join(dir, "yes@.service"), yesService(n))
			writeAtomic(t, filepath.Join(dir, "no.socket"), noSocket(n))
			syscall.Kill(inner, syscall.SIGHUP)
		}
		if n == 3 {
			writeAtomic(t, extra, fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", testnet.Port(t)))
			writeAtomic(t, filepath.Join(dir, "extra@.service"), "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n")
		}
		if n == 6 {
			os.Remove(extra)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d connections failed during reloads; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	if ok.Load() < 30 {
		t.Fatalf("only %d connections went through; the load was too light to show anything", ok.Load())
	}
	if n := countReloads(r.log.String()); n < 4 {
		t.Fatalf("only %d reloads happened:\n%s", n, r.log)
	}
	u := r.unit(t, "yes.socket")
	if u.NRefused != 0 {
		t.Fatalf("yes.socket refused %d connections", u.NRefused)
	}
	t.Logf("%d connections, 0 failed, %d reloads", ok.Load(), countReloads(r.log.String()))
}

func countReloads(log string) int { return strings.Count(log, "msg=reloading") }
