//go:build linux

package listener

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// listenFDsStart is the first passed fd (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// InheritedFD is one fd passed to this process through LISTEN_FDS, as the kernel describes it.
type InheritedFD struct {
	File *os.File
	Name string // its LISTEN_FDNAMES entry ("unknown" when LISTEN_FDNAMES is unset and several fds came)

	// Sockets: SO_DOMAIN, SO_TYPE, SO_PROTOCOL, SO_ACCEPTCONN and getsockname.
	Socket    bool
	Address   socketunit.Address // Family, Type and Protocol filled in
	Listening bool

	// Every fd: the file type (unix.S_IFIFO, S_IFCHR, …), device and inode, and for
	// non-sockets the path it was opened under (from /proc/self/fd).
	FileType uint32
	Dev, Ino uint64
	Path     string
}

// Inherited is the set of fds passed to this process, each adopted by at most one listen
// entry. It is safe for concurrent use by several Open calls.
type Inherited struct {
	mu   sync.Mutex
	fds  []InheritedFD
	used []bool
}

// Inherit reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (LISTEN_PIDFDID is accepted and
// ignored) through getenv, as sd_listen_fds_with_names does: no LISTEN_PID, or one that is not
// this process, means no fds. Every passed fd is made close-on-exec and classified. The caller
// unsets the variables.
func Inherit(getenv func(string) string) (*Inherited, error) {
	return inherit(getenv, os.Getpid(), listenFDsStart)
}

func inherit(getenv func(string) string, pid, first int) (*Inherited, error) {
	inh := &Inherited{}
	p := getenv("LISTEN_PID")
	if p == "" {
		return inh, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("LISTEN_PID=%s: %w", p, unix.EINVAL)
	}
	if n != pid {
		return inh, nil
	}
	c := getenv("LISTEN_FDS")
	if c == "" {
		return inh, nil
	}
	count, err := strconv.Atoi(c)
	if err != nil || count <= 0 || count > 1<<20 {
		return nil, fmt.Errorf("LISTEN_FDS=%s: %w", c, unix.EINVAL)
	}
	names := make([]string, count)
	// getenv cannot tell an unset LISTEN_FDNAMES from an empty one: "" is one empty name for
	// a single fd (systemd always sets the variable), and absent otherwise.
	if v := getenv("LISTEN_FDNAMES"); v != "" || count == 1 {
		parts := strings.Split(v, ":")
		if len(parts) != count {
			return nil, fmt.Errorf("LISTEN_FDNAMES has %d names for LISTEN_FDS=%d: %w", len(parts), count, unix.EINVAL)
		}
		copy(names, parts)
	} else {
		for i := range names {
			names[i] = "unknown"
		}
	}
	for i := range count {
		fd := first + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return nil, fmt.Errorf("LISTEN_FDS=%d: fd %d: %w", count, fd, err)
		}
	}
	for i := range count {
		ifd, err := classify(first+i, names[i])
		if err != nil {
			return nil, fmt.Errorf("LISTEN_FDS=%d: fd %d: %w", count, first+i, err)
		}
		inh.fds = append(inh.fds, ifd)
	}
	inh.used = make([]bool, count)
	return inh, nil
}

// classify describes an inherited fd and wraps it in an *os.File.
func classify(fd int, name string) (InheritedFD, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return InheritedFD{}, err
	}
	d := InheritedFD{Name: name, FileType: st.Mode & unix.S_IFMT, Dev: st.Dev, Ino: st.Ino}
	label := name
	if d.FileType == unix.S_IFSOCK {
		d.Socket = true
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return InheritedFD{}, fmt.Errorf("getsockname: %w", err)
		}
		d.Address = fromSockaddr(sa)
		d.Address.Family, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
		d.Address.Type, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		d.Address.Protocol, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
		acc, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		d.Listening = acc != 0
		label = d.Address.String()
	} else if p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err == nil {
		d.Path = p
		label = p
	}
	d.File = os.NewFile(uintptr(fd), label)
	return d, nil
}

// take returns the inherited fd for a listen entry and marks it used, or nil. An fd matches by
// type and address (sockets), by device and inode (FIFOs and special files) or by queue name;
// failing that, by FileDescriptorName= when the unit sets one and the socket's family and type
// agree.
func (i *Inherited) take(u *socketunit.Socket, l *socketunit.Listen) *os.File {
	if i == nil || l.Kind == socketunit.ListenUSBFunction {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	want := effectiveAddress(u, l)
	var node *unix.Stat_t
	if l.Kind == socketunit.ListenFIFO || l.Kind == socketunit.ListenSpecial {
		var st unix.Stat_t
		if unix.Stat(l.Path, &st) == nil {
			node = &st
		}
	}
	for k := range i.fds {
		if !i.used[k] && i.fds[k].matches(l, &want, node) {
			i.used[k] = true
			return i.fds[k].File
		}
	}
	if u.FileDescriptorName == "" || !l.Kind.IsSocket() {
		return nil
	}
	for k := range i.fds {
		d := &i.fds[k]
		if !i.used[k] && d.Socket && d.Name == u.FileDescriptorName &&
			d.Address.Family == want.Family && d.Address.Type == want.Type && (d.Listening || !canAccept(want.Type)) {
			i.used[k] = true
			return d.File
		}
	}
	return nil
}

// matches reports whether the inherited fd is what the listen entry would open.
func (d *InheritedFD) matches(l *socketunit.Listen, want *socketunit.Address, node *unix.Stat_t) bool {
	switch l.Kind {
	case socketunit.ListenStream, socketunit.ListenDatagram, socketunit.ListenSequentialPacket, socketunit.ListenNetlink:
		// A connection-oriented entry wants a listening socket, not a connection passed inetd-style.
		return d.Socket && sameAddress(want, &d.Address) && (d.Listening || !canAccept(want.Type))
	case socketunit.ListenFIFO:
		return node != nil && d.FileType == unix.S_IFIFO && d.Dev == node.Dev && d.Ino == node.Ino
	case socketunit.ListenSpecial:
		return node != nil && !d.Socket && d.Dev == node.Dev && d.Ino == node.Ino
	case socketunit.ListenMessageQueue:
		return !d.Socket && d.Path == "/"+strings.TrimPrefix(l.Path, "/")
	}
	return false
}

// giveBack returns an adopted fd after a failed Open, so that another entry may take it.
func (i *Inherited) giveBack(f *os.File) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k := range i.fds {
		if i.fds[k].File == f {
			i.used[k] = false
		}
	}
}

// All returns every inherited fd in LISTEN_FDS order.
func (i *Inherited) All() []InheritedFD {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]InheritedFD(nil), i.fds...)
}

// Unmatched returns the inherited fds no listen entry has adopted, in LISTEN_FDS order.
func (i *Inherited) Unmatched() []InheritedFD {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []InheritedFD
	for k := range i.fds {
		if !i.used[k] {
			out = append(out, i.fds[k])
		}
	}
	return out
}
