//go:build linux

package listener

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// TestStaleNodeAndRemoveOnStop: a stale UNIX socket node is replaced on start; without
// RemoveOnStop= the nodes stay after Close, with it the node, FIFO, queue and symlinks go.
func TestStaleNodeAndRemoveOnStop(t *testing.T) {
	dir := t.TempDir()
	sock, fifoPath, link := filepath.Join(dir, "s.sock"), filepath.Join(dir, "f"), filepath.Join(dir, "l", "alias")
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	q := uniq("/sockvisor-test-remove")
	mqUnlink(q)
	defer mqUnlink(q)
	for _, remove := range []bool{false, true} {
		u := newUnit("rm.socket", listenUnix(socketunit.ListenStream, sock), listenPath(socketunit.ListenMessageQueue, q))
		u.Symlinks, u.RemoveOnStop = []string{link}, remove
		s, err := Open(context.Background(), u, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatalf("stale node not replaced: %v", err)
		}
		c.Close()
		if tgt, err := os.Readlink(link); err != nil || tgt != sock {
			t.Errorf("symlink %s -> %q, %v", link, tgt, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if exists(sock) == remove || exists(link) == remove {
			t.Errorf("RemoveOnStop=%v: node exists %v, link exists %v", remove, exists(sock), exists(link))
		}
		if err := mqUnlink(q); (err == nil) == remove {
			t.Errorf("RemoveOnStop=%v: queue still there: %v", remove, err == nil)
		}
	}
	// FIFOs likewise.
	u := newUnit("fifo.socket", listenPath(socketunit.ListenFIFO, fifoPath))
	u.RemoveOnStop = true
	u.SocketMode = 0o600
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if exists(fifoPath) {
		t.Error("FIFO left behind with RemoveOnStop=yes")
	}
}

// TestDataFlows sends real data through a FIFO, a message queue and a netlink socket opened
// from units.
func TestDataFlows(t *testing.T) {
	dir := t.TempDir()
	q := uniq("/sockvisor-test-flow")
	mqUnlink(q)
	u := newUnit("flow.socket",
		listenPath(socketunit.ListenFIFO, filepath.Join(dir, "fifo")),
		listenPath(socketunit.ListenMessageQueue, q),
		netlinkRoute(t))
	u.RemoveOnStop = true
	u.MessageQueueMaxMessages, u.MessageQueueMessageSize = 4, 64
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := os.OpenFile(filepath.Join(dir, "fifo"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("hello")
	w.Close()
	buf := make([]byte, 64)
	if n, err := s.FDs[0].File.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Errorf("FIFO read %q, %v", buf[:n], err)
	}
	// Send on the queue with a second descriptor and read it from the unit's.
	name, _ := mqName(q)
	wfd, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(name)), unix.O_WRONLY|unix.O_CLOEXEC, 0, 0, 0, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	defer unix.Close(int(wfd))
	msg := []byte("queued")
	if _, _, errno := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, wfd, uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, 0, 0); errno != 0 {
		t.Fatal(errno)
	}
	withFD(s.FDs[1].File, func(fd int) error {
		n, _, errno := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
		if errno != 0 || string(buf[:n]) != "queued" {
			t.Errorf("queue receive %q, %v", buf[:n], errno)
		}
		return nil
	})
	r, err := ReadBack(u, s.FDs[2])
	if err != nil || r.Address != "route 0" {
		t.Errorf("netlink reads back as %q, %v", r.Address, err)
	}
}

// TestUSBFunctionStandIn uses a directory of regular files in place of a FunctionFS mount
// (none is available here): ep0 receives the descriptors and then the strings, the other
// endpoints follow ep0 in name order.
func TestUSBFunctionStandIn(t *testing.T) {
	dir := t.TempDir()
	ffs := filepath.Join(dir, "ffs")
	os.Mkdir(ffs, 0o755)
	for _, n := range []string{"ep0", "ep2", "ep1", "other"} {
		os.WriteFile(filepath.Join(ffs, n), nil, 0o644)
	}
	desc, strs := filepath.Join(dir, "desc"), filepath.Join(dir, "strs")
	os.WriteFile(desc, []byte("DESCRIPTORS;"), 0o644)
	os.WriteFile(strs, []byte("STRINGS"), 0o644)
	u := newUnit("usb.socket", listenPath(socketunit.ListenUSBFunction, ffs))
	s, err := Open(context.Background(), u, OpenOptions{USB: USBFunction{Descriptors: desc, Strings: strs}})
	if err != nil {
		t.Fatal(err)
	}
	files := s.Files()
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Name()))
	}
	if strings.Join(names, ",") != "ep0,ep1,ep2" {
		t.Errorf("files = %v, want ep0,ep1,ep2", names)
	}
	s.Close()
	if b, _ := os.ReadFile(filepath.Join(ffs, "ep0")); string(b) != "DESCRIPTORS;STRINGS" {
		t.Errorf("ep0 holds %q", b)
	}
	// Without the service's descriptor files the entry fails, and nothing stays open.
	openFails(t, u, "usb.socket: Failed to open USB function '"+ffs+"'", "USBFunctionDescriptors=")
}
