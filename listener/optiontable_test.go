//go:build linux

package listener

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// optionCase is one unit with one setting, and the reading that must show it.
type optionCase struct {
	name   string
	listen func(t *testing.T) socketunit.Listen
	set    func(u *socketunit.Socket)
	key    string // the reading that must carry a Want and match it
	skip   func() string
}

func tcp4(t *testing.T) socketunit.Listen {
	return listenInet(socketunit.ListenStream, "127.0.0.1", freePort(t))
}
func udp4(t *testing.T) socketunit.Listen {
	return listenInet(socketunit.ListenDatagram, "127.0.0.1", freePort(t))
}
func tcp6(t *testing.T) socketunit.Listen {
	return listenInet(socketunit.ListenStream, "::1", freePort(t))
}
func udp6(t *testing.T) socketunit.Listen {
	return listenInet(socketunit.ListenDatagram, "::1", freePort(t))
}
func unixStream(t *testing.T) socketunit.Listen {
	return listenUnix(socketunit.ListenStream, filepath.Join(t.TempDir(), "s"))
}
func unixDgram(t *testing.T) socketunit.Listen {
	return listenUnix(socketunit.ListenDatagram, filepath.Join(t.TempDir(), "d"))
}
func unixSeq(t *testing.T) socketunit.Listen {
	return listenUnix(socketunit.ListenSequentialPacket, filepath.Join(t.TempDir(), "q"))
}
func netlinkRoute(*testing.T) socketunit.Listen {
	l := listenUnix(socketunit.ListenNetlink, "")
	l.Address = socketunit.Address{Family: unix.AF_NETLINK, Type: unix.SOCK_RAW, Protocol: unix.NETLINK_ROUTE}
	return l
}
func fifo(t *testing.T) socketunit.Listen {
	return listenPath(socketunit.ListenFIFO, filepath.Join(t.TempDir(), "fifo"))
}
func mqueue(t *testing.T) socketunit.Listen {
	name := uniq("/sockvisor-test-" + strings.ReplaceAll(t.Name(), "/", "-"))
	mqUnlink(name)
	t.Cleanup(func() { mqUnlink(name) })
	return listenPath(socketunit.ListenMessageQueue, name)
}

// optionCases covers every key of reference §3.2–3.3 on the families where it applies.
func optionCases() []optionCase {
	return []optionCase{
		{name: "BindIPv6Only=ipv6-only", listen: tcp6, key: "BindIPv6Only",
			set: func(u *socketunit.Socket) { u.BindIPv6Only = socketunit.BindIPv6IPv6Only }},
		{name: "BindIPv6Only=both", listen: func(t *testing.T) socketunit.Listen {
			// Linux sets IPV6_V6ONLY itself when binding a non-wildcard address.
			return listenInet(socketunit.ListenDatagram, "::", freePort(t))
		}, key: "BindIPv6Only",
			set: func(u *socketunit.Socket) { u.BindIPv6Only = socketunit.BindIPv6Both }},
		{name: "BindToDevice=lo", listen: tcp4, key: "BindToDevice",
			set: func(u *socketunit.Socket) { u.BindToDevice = "lo" }},
		{name: "ReusePort/v4", listen: tcp4, key: "ReusePort", set: func(u *socketunit.Socket) { u.ReusePort = true }},
		{name: "ReusePort/v6udp", listen: udp6, key: "ReusePort", set: func(u *socketunit.Socket) { u.ReusePort = true }},
		{name: "FreeBind/v4", listen: tcp4, key: "FreeBind", set: func(u *socketunit.Socket) { u.FreeBind = true }},
		{name: "FreeBind/v6", listen: tcp6, key: "FreeBind", set: func(u *socketunit.Socket) { u.FreeBind = true }},
		{name: "Transparent/v4", listen: tcp4, key: "Transparent", set: func(u *socketunit.Socket) { u.Transparent = true }},
		{name: "Transparent/v6", listen: udp6, key: "Transparent", set: func(u *socketunit.Socket) { u.Transparent = true }},
		{name: "ReuseAddress/unix", listen: unixStream, key: "ReuseAddress", set: func(*socketunit.Socket) {}},
		{name: "Backlog/tcp", listen: tcp4, key: "Backlog", set: func(u *socketunit.Socket) { u.Backlog = 17 }},
		{name: "Backlog/unix", listen: unixSeq, key: "Backlog", set: func(u *socketunit.Socket) { u.Backlog = 5 }},
		{name: "KeepAlive", listen: tcp4, key: "KeepAlive", set: func(u *socketunit.Socket) { u.KeepAlive = true }},
		{name: "KeepAliveTimeSec", listen: tcp6, key: "KeepAliveTimeSec",
			set: func(u *socketunit.Socket) { u.KeepAliveTime = socketunit.Timespan(30e6) }},
		{name: "KeepAliveIntervalSec", listen: tcp4, key: "KeepAliveIntervalSec",
			set: func(u *socketunit.Socket) { u.KeepAliveInterval = socketunit.Timespan(11e6) }},
		{name: "KeepAliveProbes", listen: tcp4, key: "KeepAliveProbes", set: func(u *socketunit.Socket) { u.KeepAliveProbes = 4 }},
		{name: "DeferAcceptSec", listen: tcp4, key: "DeferAcceptSec",
			set: func(u *socketunit.Socket) { u.DeferAccept = socketunit.Timespan(5e6) }},
		{name: "NoDelay", listen: tcp6, key: "NoDelay", set: func(u *socketunit.Socket) { u.NoDelay = true }},
		{name: "NoDelay/mptcp", listen: tcp4, key: "NoDelay", skip: noProto(unix.IPPROTO_MPTCP),
			set: func(u *socketunit.Socket) { u.NoDelay = true; u.SocketProtocol = unix.IPPROTO_MPTCP }},
		{name: "SocketProtocol=mptcp", listen: tcp6, key: "SocketProtocol", skip: noProto(unix.IPPROTO_MPTCP),
			set: func(u *socketunit.Socket) { u.SocketProtocol = unix.IPPROTO_MPTCP }},
		{name: "SocketProtocol=udplite", listen: udp4, key: "SocketProtocol", skip: noProto(unix.IPPROTO_UDPLITE),
			set: func(u *socketunit.Socket) { u.SocketProtocol = unix.IPPROTO_UDPLITE }},
		{name: "SocketProtocol=sctp", listen: tcp4, key: "SocketProtocol", skip: noProto(unix.IPPROTO_SCTP),
			set: func(u *socketunit.Socket) { u.SocketProtocol = unix.IPPROTO_SCTP; u.NoDelay = true }},
		{name: "Broadcast", listen: udp4, key: "Broadcast", set: func(u *socketunit.Socket) { u.Broadcast = true }},
		{name: "PassCredentials/unix", listen: unixDgram, key: "PassCredentials", set: func(u *socketunit.Socket) { u.PassCredentials = true }},
		{name: "PassCredentials/netlink", listen: netlinkRoute, key: "PassCredentials", set: func(u *socketunit.Socket) { u.PassCredentials = true }},
		{name: "PassPIDFD", listen: unixStream, key: "PassPIDFD", set: func(u *socketunit.Socket) { u.PassPIDFD = true }},
		{name: "PassSecurity", listen: unixSeq, key: "PassSecurity", set: func(u *socketunit.Socket) { u.PassSecurity = true }},
		{name: "PassPacketInfo/v4", listen: udp4, key: "PassPacketInfo", set: func(u *socketunit.Socket) { u.PassPacketInfo = true }},
		{name: "PassPacketInfo/v6", listen: udp6, key: "PassPacketInfo", set: func(u *socketunit.Socket) { u.PassPacketInfo = true }},
		{name: "PassPacketInfo/netlink", listen: netlinkRoute, key: "PassPacketInfo", set: func(u *socketunit.Socket) { u.PassPacketInfo = true }},
		{name: "AcceptFileDescriptors=no", listen: unixStream, key: "AcceptFileDescriptors",
			set: func(u *socketunit.Socket) { u.AcceptFileDescriptors = false }},
		{name: "Timestamping=us", listen: udp4, key: "Timestamping", set: func(u *socketunit.Socket) { u.Timestamping = socketunit.TimestampingUsec }},
		{name: "Timestamping=ns", listen: unixDgram, key: "Timestamping", set: func(u *socketunit.Socket) { u.Timestamping = socketunit.TimestampingNsec }},
		{name: "Priority", listen: tcp4, key: "Priority", set: func(u *socketunit.Socket) { u.Priority = 5 }},
		{name: "ReceiveBuffer", listen: udp4, key: "ReceiveBuffer", set: func(u *socketunit.Socket) { u.ReceiveBuffer = 65536 }},
		{name: "ReceiveBuffer/force", listen: unixDgram, key: "ReceiveBuffer", set: func(u *socketunit.Socket) { u.ReceiveBuffer = 16 << 20 }},
		{name: "SendBuffer", listen: tcp6, key: "SendBuffer", set: func(u *socketunit.Socket) { u.SendBuffer = 32768 }},
		{name: "SendBuffer/force", listen: udp6, key: "SendBuffer", set: func(u *socketunit.Socket) { u.SendBuffer = 16 << 20 }},
		{name: "Mark", listen: udp4, key: "Mark", set: func(u *socketunit.Socket) { u.Mark = 42 }},
		{name: "IPTOS/v4", listen: tcp4, key: "IPTOS", set: func(u *socketunit.Socket) { u.IPTOS = 0x10 }},
		{name: "IPTOS/v6", listen: udp6, key: "IPTOS", set: func(u *socketunit.Socket) { u.IPTOS = 0x08 }},
		{name: "IPTTL/v4", listen: udp4, key: "IPTTL", set: func(u *socketunit.Socket) { u.IPTTL = 7 }},
		{name: "IPTTL/v6", listen: tcp6, key: "IPTTL", set: func(u *socketunit.Socket) { u.IPTTL = 9 }},
		{name: "TCPCongestion", listen: tcp4, key: "TCPCongestion", set: func(u *socketunit.Socket) { u.TCPCongestion = "reno" }},
		{name: "SocketMode/unix", listen: unixStream, key: "SocketMode", set: func(u *socketunit.Socket) { u.SocketMode = 0o640 }},
		{name: "SocketUser/unix", listen: unixStream, key: "SocketGroup", set: func(u *socketunit.Socket) { u.SocketUser = "nobody" }},
		{name: "SocketGroup/fifo", listen: fifo, key: "SocketGroup", set: func(u *socketunit.Socket) { u.SocketGroup = "65534" }},
		{name: "SocketMode/fifo", listen: fifo, key: "SocketMode", set: func(u *socketunit.Socket) { u.SocketMode = 0o620 }},
		{name: "PipeSize", listen: fifo, key: "PipeSize", set: func(u *socketunit.Socket) { u.PipeSize = 200000 }},
		{name: "MessageQueueMaxMessages", listen: mqueue, key: "MessageQueueMaxMessages",
			set: func(u *socketunit.Socket) { u.MessageQueueMaxMessages = 3; u.MessageQueueMessageSize = 100 }},
		{name: "MessageQueueMessageSize", listen: mqueue, key: "MessageQueueMessageSize",
			set: func(u *socketunit.Socket) {
				u.MessageQueueMaxMessages = 5
				u.MessageQueueMessageSize = 333
				u.SocketMode = 0o600
			}},
		{name: "SocketUser/mqueue", listen: mqueue, key: "SocketUser", set: func(u *socketunit.Socket) { u.SocketUser = "nobody" }},
		{name: "Writable", listen: func(t *testing.T) socketunit.Listen {
			p := filepath.Join(t.TempDir(), "special")
			os.WriteFile(p, nil, 0o644)
			return listenPath(socketunit.ListenSpecial, p)
		}, key: "Writable", set: func(u *socketunit.Socket) { u.Writable = true }},
		{name: "vsock", listen: vsockAny, key: "Listening", skip: noVsock, set: func(u *socketunit.Socket) { u.Backlog = 3 }},
		{name: "vsock/seqpacket", listen: func(t *testing.T) socketunit.Listen {
			l := vsockAny(t)
			l.Kind, l.Address.Type = socketunit.ListenSequentialPacket, unix.SOCK_SEQPACKET
			return l
		}, key: "Listening", skip: noVsock, set: func(u *socketunit.Socket) {}},
		{name: "netlink/kobject-uevent", listen: func(t *testing.T) socketunit.Listen {
			l := netlinkRoute(t)
			l.Address.Protocol, l.Address.Groups = unix.NETLINK_KOBJECT_UEVENT, 1
			return l
		}, key: "PassCredentials", set: func(u *socketunit.Socket) { u.PassCredentials = true; u.ReceiveBuffer = 1 << 20 }},
		{name: "abstract", listen: func(t *testing.T) socketunit.Listen {
			return listenUnix(socketunit.ListenSequentialPacket, uniq("@sockvisor-test-abstract"))
		}, key: "PassCredentials", set: func(u *socketunit.Socket) { u.PassCredentials = true }},
		{name: "Symlinks", listen: unixStream, key: "Symlinks", set: func(u *socketunit.Socket) {
			u.Symlinks = []string{filepath.Join(filepath.Dir(u.Listen[0].Address.Path), "links", "alias")}
		}},
	}
}

// vsockAny listens on any CID; the port is one that is free for TCP, which is free enough.
func vsockAny(t *testing.T) socketunit.Listen {
	return socketunit.Listen{Kind: socketunit.ListenStream, Address: socketunit.Address{
		Family: unix.AF_VSOCK, Type: unix.SOCK_STREAM, CID: unix.VMADDR_CID_ANY, VsockPort: uint32(freePort(t))}}
}

// noVsock skips where the kernel has no vsock transport.
func noVsock() string {
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	if err != nil {
		return "no vsock here: " + err.Error()
	}
	unix.Close(fd)
	return ""
}

// noProto returns a skip check for an IP protocol the kernel may lack.
func noProto(proto int) func() string {
	return func() string {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, proto)
		if proto == unix.IPPROTO_UDPLITE {
			fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, proto)
		}
		if err != nil {
			return "kernel lacks IP protocol " + itoa(proto) + ": " + err.Error()
		}
		unix.Close(fd)
		return ""
	}
}

// TestOptionTable creates one unit per option and reads every option back from the kernel:
// the option under test must read back as the unit asks, and so must everything else the
// unit sets.
func TestOptionTable(t *testing.T) {
	needRoot(t)
	for _, c := range optionCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != nil {
				if why := c.skip(); why != "" {
					t.Skip(why)
				}
			}
			u := newUnit("opt.socket", c.listen(t))
			c.set(u)
			u.RemoveOnStop = true
			s, err := Open(context.Background(), u, OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}()
			r, err := ReadBack(u, s.FDs[0])
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, x := range r.Readings {
				if x.Key == c.key {
					found = true
					if x.Want == "" {
						t.Errorf("%s: reading has no Want: %+v", c.key, x)
					}
				}
				if !x.OK() {
					t.Errorf("%s reads back %q, want %q (err %q)", x.Key, x.Value, x.Want, x.Err)
				}
			}
			if !found {
				t.Errorf("no %s reading in %+v", c.key, r.Readings)
			}
		})
	}
}

// TestVsockLoopback connects to a vsock listener through the loopback transport
// (VMADDR_CID_LOCAL), where the kernel has one.
func TestVsockLoopback(t *testing.T) {
	if why := noVsock(); why != "" {
		t.Skip(why)
	}
	port := uint32(freePort(t))
	u := newUnit("vsock.socket", socketunit.Listen{Kind: socketunit.ListenStream, Address: socketunit.Address{
		Family: unix.AF_VSOCK, Type: unix.SOCK_STREAM, CID: unix.VMADDR_CID_LOCAL, VsockPort: port}})
	s, err := Open(t.Context(), u, OpenOptions{})
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		t.Skipf("no vsock loopback transport here (vsock_loopback not loaded): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	if err := unix.Connect(c, &unix.SockaddrVM{CID: unix.VMADDR_CID_LOCAL, Port: port}); err != nil {
		t.Fatal(err)
	}
	r, err := ReadBack(u, s.FDs[0])
	if err != nil || r.Address != "vsock:1:"+itoa(int(port)) {
		t.Errorf("reads back as %q, %v", r.Address, err)
	}
}
