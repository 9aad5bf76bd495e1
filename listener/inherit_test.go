//go:build linux

package listener

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestInheritEnvironment checks sd_listen_fds' rules on the variables; none of these cases
// touches an fd.
func TestInheritEnvironment(t *testing.T) {
	pid := os.Getpid()
	p := itoa(pid)
	for _, c := range []struct {
		name string
		env  map[string]string
		err  string
	}{
		{name: "no LISTEN_PID", env: map[string]string{"LISTEN_FDS": "2"}},
		{name: "other pid", env: map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "2"}},
		{name: "no LISTEN_FDS", env: map[string]string{"LISTEN_PID": p}},
		{name: "bad pid", env: map[string]string{"LISTEN_PID": "x"}, err: "LISTEN_PID=x: invalid argument"},
		{name: "zero fds", env: map[string]string{"LISTEN_PID": p, "LISTEN_FDS": "0"}, err: "LISTEN_FDS=0: invalid argument"},
		{name: "bad count", env: map[string]string{"LISTEN_PID": p, "LISTEN_FDS": "-3"}, err: "LISTEN_FDS=-3: invalid argument"},
		{name: "names mismatch", env: map[string]string{"LISTEN_PID": p, "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b:c"},
			err: "LISTEN_FDNAMES has 3 names for LISTEN_FDS=2: invalid argument"},
		{name: "pidfdid ignored", env: map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "1", "LISTEN_PIDFDID": "77"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			inh, err := Inherit(env(c.env))
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || len(inh.All()) != 0 {
				t.Fatalf("inherited %v, %v; want nothing", inh.All(), err)
			}
		})
	}
}

// TestInheritInProcess passes fds at a high number to inherit and checks classification and
// matching, including a match by FileDescriptorName= and an fd that matches nothing.
func TestInheritInProcess(t *testing.T) {
	dir := t.TempDir()
	q := uniq("/sockvisor-test-inherit")
	mqUnlink(q)
	defer mqUnlink(q)
	port := freePort(t)
	src := newUnit("src.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenDatagram, filepath.Join(dir, "d.sock")),
		listenPath(socketunit.ListenFIFO, filepath.Join(dir, "fifo")),
		listenPath(socketunit.ListenMessageQueue, q),
		listenInet(socketunit.ListenDatagram, "127.0.0.1", freePort(t)), // adopted by name
		listenInet(socketunit.ListenStream, "127.0.0.1", freePort(t)))   // matches nothing
	s, err := Open(context.Background(), src, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Move the fds to 500.. as a parent would have placed them at 3..
	const first = 500
	for i, f := range s.Files() {
		if err := withFD(f, func(fd int) error { return unix.Dup3(fd, first+i, 0) }); err != nil {
			t.Fatal(err)
		}
	}
	inh, err := inherit(env(map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "6",
		"LISTEN_FDNAMES": "web:log:fifo:queue:dns:stray"}), 42, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range inh.All() {
		fl, _ := unix.FcntlInt(d.File.Fd(), unix.F_GETFD, 0)
		if fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s: not close-on-exec", d.Name)
		}
	}
	all := inh.All()
	if !all[0].Socket || !all[0].Listening || all[0].Address.Type != unix.SOCK_STREAM || all[0].Address.Port != port {
		t.Errorf("fd 0 classified as %+v", all[0])
	}
	if all[2].Socket || all[2].FileType != unix.S_IFIFO || all[2].Path != filepath.Join(dir, "fifo") {
		t.Errorf("fd 2 classified as %+v", all[2])
	}

	dst := newUnit("dst.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenDatagram, filepath.Join(dir, "d.sock")),
		listenPath(socketunit.ListenFIFO, filepath.Join(dir, "fifo")),
		listenPath(socketunit.ListenMessageQueue, q),
		listenInet(socketunit.ListenDatagram, "127.0.0.1", 9)) // other port: only the name matches
	dst.FileDescriptorName = "dns"
	dst.NoDelay = true // an adopted socket gets the unit's after-listen options
	got, err := Open(context.Background(), dst, OpenOptions{Inherited: inh})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for i, fd := range got.FDs {
		if !fd.Inherited || fd.File != all[i].File {
			t.Errorf("entry %d (%s) not adopted from fd %d", i, fd.Listen.Kind, first+i)
		}
	}
	if r, err := ReadBack(dst, got.FDs[0]); err != nil || !reading(t, r, "NoDelay").OK() {
		t.Errorf("NoDelay=yes not applied to the adopted socket: %+v, %v", r, err)
	}
	un := inh.Unmatched()
	if len(un) != 1 || un[0].Name != "stray" {
		t.Errorf("unmatched = %+v, want the fd named stray", un)
	}
	un[0].File.Close()
}

// TestInheritFromGoParent passes real fds at 3.. to the helper (LISTEN_PID set by sh), which
// adopts them for the unit's entries and opens the one that was not passed.
func TestInheritFromGoParent(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	src := newUnit("parent.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenSequentialPacket, uniq("@sockvisor-test-inherit")),
		listenInet(socketunit.ListenDatagram, "127.0.0.1", freePort(t)))
	s, err := Open(context.Background(), src, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := newUnit("child.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenSequentialPacket, uniq("@sockvisor-test-inherit")),
		listenUnix(socketunit.ListenStream, filepath.Join(dir, "new.sock")))
	cmd := helperCmd(t, u, "sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`)
	cmd.ExtraFiles = s.Files()
	cmd.Env = append(cmd.Env, "LISTEN_FDS=3", "LISTEN_FDNAMES=web:seq:dns")
	res, stderr := runHelper(t, cmd)
	if res.Error != "" || len(res.Reports) != 3 {
		t.Fatalf("%v\n%s", res, stderr)
	}
	for i, want := range []bool{true, true, false} {
		if res.Reports[i].Inherited != want {
			t.Errorf("entry %d (%s) inherited=%v, want %v", i, res.Reports[i].Address, res.Reports[i].Inherited, want)
		}
	}
	if strings.Join(res.Unmatched, ",") != "dns" {
		t.Errorf("unmatched = %q, want dns", res.Unmatched)
	}
}

// TestInheritFromSystemdSocketActivate has systemd's own tool pass two sockets to the helper.
func TestInheritFromSystemdSocketActivate(t *testing.T) {
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed")
	}
	dir := t.TempDir()
	port := freePort(t)
	path := filepath.Join(dir, "act.sock")
	u := newUnit("act.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenStream, path))
	cmd := helperCmd(t, u)
	args := []string{"-l", "127.0.0.1:" + itoa(int(port)), "-l", path, "--fdname=a:b"}
	for _, e := range cmd.Env {
		if strings.HasPrefix(e, "SOCKVISOR_") {
			args = append(args, "-E", e)
		}
	}
	cmd = exec.Command(sa, append(args, cmd.Args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// systemd-socket-activate starts the command on the first connection.
	var c net.Conn
	for range 100 {
		if c, err = net.Dial("tcp", "127.0.0.1:"+itoa(int(port))); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), `"inherited":true`) || strings.Contains(out.String(), `"inherited":false`) {
		t.Errorf("not every fd adopted:\n%s\n%s", out.String(), errb.String())
	}
}

// FuzzInheritEnv feeds arbitrary LISTEN_* values to the parser; the fds it would adopt start
// far above any open one, so a count that parses only meets EBADF.
func FuzzInheritEnv(f *testing.F) {
	f.Add("42", "2", "a:b", "")
	f.Add("42", "0", "", "")
	f.Add("x", "1", "", "7")
	f.Add("42", "3", "a::", "1")
	f.Add("42", "99999999999", "", "")
	f.Fuzz(func(t *testing.T, pid, fds, names, pidfdid string) {
		e := env(map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": fds, "LISTEN_FDNAMES": names, "LISTEN_PIDFDID": pidfdid})
		inh, err := inherit(e, 42, 1<<29)
		if err == nil && len(inh.All()) != 0 {
			t.Fatalf("adopted fds that cannot be open: %+v", inh.All())
		}
	})
}
