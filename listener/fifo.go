//go:build linux

package listener

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// openFIFO creates (or opens) a FIFO as systemd's fifo_address_create does: parents with
// DirectoryMode=, mkfifo with SocketMode= under the umask, open read-write and non-blocking,
// then insist that the node is a FIFO with exactly that mode, owned by us — an existing FIFO
// with other permissions or another owner fails with EEXIST. SmackLabel= (where the kernel runs
// Smack) and PipeSize= follow, each a warning on failure.
func openFIFO(ctx context.Context, u *socketunit.Socket, path string, th *fsThread, log *slog.Logger) (int, error) {
	mkdirParents(path, u.DirectoryMode, th)
	want := u.SocketMode & 0o777 &^ uint32(th.mask)
	var fd int
	err := th.run(int(^u.SocketMode&0o777)|th.mask, func() error {
		if err := unix.Mkfifo(path, u.SocketMode&0o7777); err != nil && err != unix.EEXIST {
			return fmt.Errorf("mkfifo: %w", err)
		}
		var err error
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	if err := checkNode(fd, unix.S_IFIFO, want); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if u.SmackLabel != "" && smackActive() {
		if err := unix.Fsetxattr(fd, "security.SMACK64", []byte(u.SmackLabel), 0); err != nil {
			log.WarnContext(ctx, "failed to set SmackLabel=, ignoring", "unit", u.Name, "path", path, "err", err)
		}
	}
	if u.PipeSize > 0 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, int(min(u.PipeSize, 1<<31-1))); err != nil {
			log.WarnContext(ctx, "failed to set PipeSize=, ignoring", "unit", u.Name, "path", path, "err", err)
		}
	}
	return fd, nil
}

// checkNode verifies that fd is a node of type typ (0: any type) with permission bits mode,
// owned by our uid and gid; anything else is EEXIST, as systemd reports it.
func checkNode(fd int, typ, mode uint32) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fstat: %w", err)
	}
	switch {
	case typ != 0 && st.Mode&unix.S_IFMT != typ:
		return fmt.Errorf("existing node is not of the expected type: %w", unix.EEXIST)
	case st.Mode&0o777 != mode:
		return fmt.Errorf("existing node has mode %04o, not %04o: %w", st.Mode&0o777, mode, unix.EEXIST)
	case st.Uid != uint32(unix.Getuid()) || st.Gid != uint32(unix.Getgid()):
		return fmt.Errorf("existing node is owned by %d:%d, not %d:%d: %w", st.Uid, st.Gid, unix.Getuid(), unix.Getgid(), unix.EEXIST)
	}
	return nil
}

// openSpecial opens a character device or regular file for ListenSpecial=: read-only, or
// read-write with Writable=yes; other node types fail with EEXIST.
func openSpecial(u *socketunit.Socket, path string) (int, error) {
	flags := unix.O_RDONLY
	if u.Writable {
		flags = unix.O_RDWR
	}
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, fmt.Errorf("open: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("fstat: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFCHR {
		unix.Close(fd)
		return -1, fmt.Errorf("not a regular file or character device: %w", unix.EEXIST)
	}
	return fd, nil
}
