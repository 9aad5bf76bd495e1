//go:build linux

package listener

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// Reading is one setting of an open fd as the kernel reports it.
type Reading struct {
	Key   string `json:"key"`            // the unit key, e.g. "ReceiveBuffer"
	Value string `json:"value"`          // what the kernel reports
	Want  string `json:"want,omitempty"` // what the unit asks for, in the kernel's terms; "" if the unit leaves it alone
	Err   string `json:"error,omitempty"`
}

// OK reports whether the kernel holds what the unit asks for (always true for settings the
// unit leaves alone, even when the kernel cannot report them).
func (r Reading) OK() bool { return r.Want == "" || (r.Err == "" && r.Want == r.Value) }

// Report is what ReadBack found for one fd.
type Report struct {
	Kind      string    `json:"kind"`    // ListenStream, ListenFIFO, …
	Address   string    `json:"address"` // the local address or path as the kernel reports it
	Inherited bool      `json:"inherited"`
	Readings  []Reading `json:"options"`
}

// ReadBack reads every setting of an open fd of u back from the kernel: each socket option row
// that applies to the socket (getsockopt; Smack labels only where the kernel runs Smack), the
// listen backlog (sock_diag), and for file-system nodes, queues and pipes their mode, owner,
// pipe size and queue attributes.
// Settings the unit leaves alone are included with an empty Want.
func ReadBack(u *socketunit.Socket, fd FD) (Report, error) {
	r := Report{Kind: fd.Listen.Kind.String(), Inherited: fd.Inherited}
	err := withFD(fd.File, func(n int) error {
		switch fd.Listen.Kind {
		case socketunit.ListenStream, socketunit.ListenDatagram, socketunit.ListenSequentialPacket, socketunit.ListenNetlink:
			return readSocket(&r, u, &fd.Listen, n)
		case socketunit.ListenFIFO:
			r.Address = fd.Listen.Path
			r.Readings = append(r.Readings, readNode(u, fd.Listen.Path, true)...)
			r.Readings = append(r.Readings, readPipeSize(u, n))
		case socketunit.ListenMessageQueue:
			r.Address = fd.Listen.Path
			r.Readings = append(r.Readings, readQueue(u, n)...)
		case socketunit.ListenSpecial:
			r.Address = fd.Listen.Path
			r.Readings = append(r.Readings, readWritable(u, n))
		case socketunit.ListenUSBFunction:
			r.Address = fd.Listen.Path
			r.Readings = append(r.Readings, Reading{Key: "Endpoints", Value: strconv.Itoa(1 + len(fd.Aux))})
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("read back %s: %w", fd.File.Name(), err)
	}
	r.Readings = append(r.Readings, readSymlinks(u, &fd.Listen)...)
	return r, nil
}

// readSocket reads a socket's address, listening state, backlog and every option row.
func readSocket(r *Report, u *socketunit.Socket, l *socketunit.Listen, fd int) error {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	a := fromSockaddr(sa)
	a.Type, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	a.Protocol, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	r.Address = a.String()
	if canAccept(a.Type) {
		acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		r.Readings = append(r.Readings, intReading("Listening", acc, err, "1"))
		r.Readings = append(r.Readings, readBacklog(u, fd, &a))
	}
	if isInet(&a) {
		rd := Reading{Key: "SocketProtocol", Value: protocolName(a.Protocol)}
		if p := effectiveAddress(u, l).Protocol; p != 0 {
			rd.Want = protocolName(p)
		}
		r.Readings = append(r.Readings, rd)
	}
	smack := smackActive()
	for i := range socketOptions {
		o := &socketOptions[i]
		if o.applies(&a) && (o.kind != smackValue || smack) {
			r.Readings = append(r.Readings, o.read(fd, u, &a))
		}
	}
	if isPathSocket(&a) {
		r.Readings = append(r.Readings, readNode(u, a.Path, false)...)
	}
	return nil
}

func intReading(key string, v int, err error, want string) Reading {
	r := Reading{Key: key, Value: strconv.Itoa(v), Want: want}
	if err != nil {
		r.Value, r.Err = "", err.Error()
	}
	return r
}

// read reads one row back from fd.
func (o *sockOption) read(fd int, u *socketunit.Socket, a *socketunit.Address) Reading {
	v, set := o.value(u)
	want := ""
	if set {
		w := v
		if o.want != nil {
			w = o.want(v)
		}
		want = strconv.Itoa(w.i)
		if o.kind == stringValue || o.kind == smackValue {
			want = w.s
		}
	}
	switch {
	case o.key == "Timestamping":
		return readTimestamping(fd, u)
	case o.kind == stringValue:
		level, opt := o.levelOpt(a, v)
		s, err := unix.GetsockoptString(fd, level, opt)
		r := Reading{Key: o.key, Value: s, Want: want}
		if err != nil {
			r.Err = err.Error()
		}
		return r
	case o.kind == smackValue:
		r := Reading{Key: o.key, Want: want}
		attr := "security.SMACK64IPIN"
		if v.i == smackIPOut {
			attr = "security.SMACK64IPOUT"
		}
		buf := make([]byte, 256)
		n, err := unix.Fgetxattr(fd, attr, buf)
		if err != nil {
			r.Err = err.Error()
			return r
		}
		r.Value = strings.TrimRight(string(buf[:n]), "\x00")
		return r
	}
	level, opt := o.levelOpt(a, v)
	n, err := unix.GetsockoptInt(fd, level, opt)
	return intReading(o.key, n, err, want)
}

// readTimestamping reports Timestamping= as "off", "us" or "ns" from SO_TIMESTAMP(NS).
func readTimestamping(fd int, u *socketunit.Socket) Reading {
	names := map[socketunit.Timestamping]string{socketunit.TimestampingOff: "off", socketunit.TimestampingUsec: "us", socketunit.TimestampingNsec: "ns"}
	r := Reading{Key: "Timestamping"}
	if u.Timestamping != socketunit.TimestampingOff {
		r.Want = names[u.Timestamping]
	}
	ns, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS)
	us, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMP)
	switch {
	case err1 != nil || err2 != nil:
		r.Err = fmt.Sprint(err1, err2)
	case ns != 0:
		r.Value = "ns"
	case us != 0:
		r.Value = "us"
	default:
		r.Value = "off"
	}
	return r
}

// processUmask reads the process umask without changing it.
func processUmask() uint32 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return uint32(m)
			}
		}
	}
	return 0o022
}

// readNode reports a node's mode and owner. UNIX socket nodes get SocketMode= exactly; FIFOs
// and queues SocketMode= less the process umask.
func readNode(u *socketunit.Socket, path string, masked bool) []Reading {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return []Reading{{Key: "SocketMode", Err: err.Error()}}
	}
	return modeOwner(u, &st, masked)
}

func modeOwner(u *socketunit.Socket, st *unix.Stat_t, masked bool) []Reading {
	want := u.SocketMode & 0o777
	if masked {
		want &^= processUmask()
	}
	rs := []Reading{{Key: "SocketMode", Value: fmt.Sprintf("%04o", st.Mode&0o7777), Want: fmt.Sprintf("%04o", want)}}
	usr := Reading{Key: "SocketUser", Value: userName(st.Uid)}
	grp := Reading{Key: "SocketGroup", Value: groupName(st.Gid)}
	if uid, gid, err := owner(u); err == nil {
		if uid >= 0 {
			usr.Want = userName(uint32(uid))
		}
		if gid >= 0 {
			grp.Want = groupName(uint32(gid))
		}
	}
	return append(rs, usr, grp)
}

func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}

func groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return id
}

// readPipeSize reports a FIFO's buffer size (F_GETPIPE_SZ); the kernel rounds PipeSize= up to
// a power-of-two number of pages.
func readPipeSize(u *socketunit.Socket, fd int) Reading {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	want := ""
	if u.PipeSize > 0 {
		want = strconv.FormatUint(pipeRounded(u.PipeSize), 10)
	}
	return intReading("PipeSize", n, err, want)
}

// pipeRounded is the pipe size Linux sets for a request of n bytes: a power of two number of
// pages, at least one page.
func pipeRounded(n uint64) uint64 {
	page := uint64(os.Getpagesize())
	pages := (n + page - 1) / page
	p := uint64(1)
	for p < pages {
		p <<= 1
	}
	return p * page
}

// readQueue reports a message queue's attributes (mq_getattr), mode and owner.
func readQueue(u *socketunit.Socket, fd int) []Reading {
	attr, err := mqGetattr(fd)
	if err != nil {
		return []Reading{{Key: "MessageQueueMaxMessages", Err: err.Error()}}
	}
	sized := u.MessageQueueMaxMessages > 0 && u.MessageQueueMessageSize > 0
	wantMax, wantSize := "", ""
	if sized {
		wantMax = strconv.FormatInt(u.MessageQueueMaxMessages, 10)
		wantSize = strconv.FormatInt(u.MessageQueueMessageSize, 10)
	}
	rs := []Reading{
		{Key: "MessageQueueMaxMessages", Value: strconv.FormatInt(attr.MaxMsg, 10), Want: wantMax},
		{Key: "MessageQueueMessageSize", Value: strconv.FormatInt(attr.MsgSize, 10), Want: wantSize},
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return append(rs, Reading{Key: "SocketMode", Err: err.Error()})
	}
	return append(rs, modeOwner(u, &st, true)...)
}

// readWritable reports whether a special file is open for writing.
func readWritable(u *socketunit.Socket, fd int) Reading {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	r := Reading{Key: "Writable", Value: "no", Want: "no"}
	if u.Writable {
		r.Want = "yes"
	}
	if err != nil {
		r.Value, r.Err = "", err.Error()
	} else if fl&unix.O_ACCMODE == unix.O_RDWR {
		r.Value = "yes"
	}
	return r
}

// readSymlinks reports where each Symlinks= entry points, for the entry they point at.
func readSymlinks(u *socketunit.Socket, l *socketunit.Listen) []Reading {
	target := symlinkTarget(u)
	if target == "" || nodePath(l) != target {
		return nil
	}
	var rs []Reading
	for _, link := range u.Symlinks {
		r := Reading{Key: "Symlinks", Want: link + " -> " + target}
		if t, err := os.Readlink(link); err != nil {
			r.Err = err.Error()
		} else {
			r.Value = link + " -> " + t
		}
		rs = append(rs, r)
	}
	return rs
}

// protocolName names an IP protocol as SocketProtocol= does.
func protocolName(p int) string {
	switch p {
	case unix.IPPROTO_TCP:
		return "tcp"
	case unix.IPPROTO_UDP:
		return "udp"
	case unix.IPPROTO_UDPLITE:
		return "udplite"
	case unix.IPPROTO_SCTP:
		return "sctp"
	case unix.IPPROTO_MPTCP:
		return "mptcp"
	}
	return strconv.Itoa(p)
}
