//go:build linux

package listener

import (
	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// stage says where in systemd's sequence an option row is applied.
type stage uint8

const (
	// stageBeforeBind rows are set between socket() and bind(), on the listening socket only
	// (systemd's socket_address_listen).
	stageBeforeBind stage = iota
	// stageAfterListen rows are set after listen(), and again on every accepted connection
	// (systemd's socket_apply_socket_options).
	stageAfterListen
)

// valueKind says how a row's value is passed to and read back from the kernel.
type valueKind uint8

const (
	intValue    valueKind = iota // setsockopt/getsockopt of an int
	stringValue                  // a NUL-terminated name (SO_BINDTODEVICE, TCP_CONGESTION)
	bufferValue                  // SO_RCVBUF/SO_SNDBUF with systemd's FORCE fallback
	smackValue                   // an xattr on the socket fd (SMACK64IPIN/IPOUT)
)

// Protocol numbers and options x/sys does not name.
const (
	solSCTP     = 132 // SOL_SCTP
	sctpNoDelay = 3   // SCTP_NODELAY
)

// sockOption is one socket option of a socket unit: the unit setting it reads, the sockets it
// applies to, the level and option number, whether a failure is fatal, and how its value is
// passed (and read back). The same row sets the option on the listening socket, re-applies it
// to accepted connections and reads it back for "sockvisor sockets".
type sockOption struct {
	key     string // the unit key, e.g. "KeepAliveTimeSec"
	stage   stage
	fatal   bool
	kind    valueKind
	applies func(a *socketunit.Address) bool
	// where gives level and option for the address (family-dependent rows differ by family).
	where func(a *socketunit.Address) (level, opt int)
	// value gives the value to set, and whether the unit sets this option at all.
	value func(u *socketunit.Socket) (v optValue, set bool)
	// want, if set, converts the value set into the value the kernel reports back.
	want func(v optValue) optValue
}

// optValue is a row's value: an int or a string, by the row's kind.
type optValue struct {
	i int
	s string
}

func at(level, opt int) func(*socketunit.Address) (int, int) {
	return func(*socketunit.Address) (int, int) { return level, opt }
}

func byFamily(l4, o4, l6, o6 int) func(*socketunit.Address) (int, int) {
	return func(a *socketunit.Address) (int, int) {
		if a.Family == unix.AF_INET6 {
			return l6, o6
		}
		return l4, o4
	}
}

func isInet(a *socketunit.Address) bool {
	return a.Family == unix.AF_INET || a.Family == unix.AF_INET6
}

func isInet6(a *socketunit.Address) bool { return a.Family == unix.AF_INET6 }

// isTCP reports whether the address is a TCP (or MPTCP) stream socket.
func isTCP(a *socketunit.Address) bool {
	return isInet(a) && a.Type == unix.SOCK_STREAM && a.Protocol != unix.IPPROTO_SCTP
}

// isConnStream reports whether the address is a connection-oriented INET socket (TCP, MPTCP, SCTP).
func isConnStream(a *socketunit.Address) bool {
	return isInet(a) && (a.Type == unix.SOCK_STREAM || a.Type == unix.SOCK_SEQPACKET)
}

func isUnix(a *socketunit.Address) bool { return a.Family == unix.AF_UNIX }

func isUnixOrNetlink(a *socketunit.Address) bool {
	return a.Family == unix.AF_UNIX || a.Family == unix.AF_NETLINK
}

func anySocket(*socketunit.Address) bool { return true }

func flag(b bool) (optValue, bool) { return optValue{i: 1}, b }

func seconds(t socketunit.Timespan) (optValue, bool) {
	if t <= 0 || t == socketunit.Infinity {
		return optValue{}, false
	}
	return optValue{i: int(t / 1000000)}, true
}

func unsetBelowZero(n int) (optValue, bool) { return optValue{i: n}, n >= 0 }

func name(s string) (optValue, bool) { return optValue{s: s}, s != "" }

// socketOptions lists every socket option in the order systemd applies it (reference §3.2 for
// stageBeforeBind, §3.3 for stageAfterListen).
var socketOptions = [...]sockOption{
	{key: "BindIPv6Only", stage: stageBeforeBind, fatal: true, applies: isInet6,
		where: at(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY),
		value: func(u *socketunit.Socket) (optValue, bool) {
			return optValue{i: boolInt(u.BindIPv6Only == socketunit.BindIPv6IPv6Only)}, u.BindIPv6Only != socketunit.BindIPv6Default
		}},
	{key: "BindToDevice", stage: stageBeforeBind, fatal: true, kind: stringValue, applies: isInet,
		where: at(unix.SOL_SOCKET, unix.SO_BINDTODEVICE),
		value: func(u *socketunit.Socket) (optValue, bool) { return name(u.BindToDevice) }},
	{key: "ReusePort", stage: stageBeforeBind, applies: isInet,
		where: at(unix.SOL_SOCKET, unix.SO_REUSEPORT),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.ReusePort) }},
	{key: "FreeBind", stage: stageBeforeBind, applies: isInet,
		where: byFamily(unix.IPPROTO_IP, unix.IP_FREEBIND, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.FreeBind) }},
	{key: "Transparent", stage: stageBeforeBind, applies: isInet,
		where: byFamily(unix.IPPROTO_IP, unix.IP_TRANSPARENT, unix.IPPROTO_IPV6, unix.IPV6_TRANSPARENT),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.Transparent) }},
	{key: "ReuseAddress", stage: stageBeforeBind, fatal: true, applies: anySocket,
		where: at(unix.SOL_SOCKET, unix.SO_REUSEADDR),
		value: func(*socketunit.Socket) (optValue, bool) { return flag(true) }},

	{key: "KeepAlive", stage: stageAfterListen, applies: isConnStream,
		where: at(unix.SOL_SOCKET, unix.SO_KEEPALIVE),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.KeepAlive) }},
	{key: "KeepAliveTimeSec", stage: stageAfterListen, applies: isTCP,
		where: at(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE),
		value: func(u *socketunit.Socket) (optValue, bool) { return seconds(u.KeepAliveTime) }},
	{key: "KeepAliveIntervalSec", stage: stageAfterListen, applies: isTCP,
		where: at(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL),
		value: func(u *socketunit.Socket) (optValue, bool) { return seconds(u.KeepAliveInterval) }},
	{key: "KeepAliveProbes", stage: stageAfterListen, applies: isTCP,
		where: at(unix.IPPROTO_TCP, unix.TCP_KEEPCNT),
		value: func(u *socketunit.Socket) (optValue, bool) {
			return optValue{i: int(u.KeepAliveProbes)}, u.KeepAliveProbes > 0
		}},
	{key: "DeferAcceptSec", stage: stageAfterListen, applies: isTCP,
		where: at(unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT),
		value: func(u *socketunit.Socket) (optValue, bool) { return seconds(u.DeferAccept) },
		want:  func(v optValue) optValue { return optValue{i: deferAcceptRounded(v.i)} }},
	{key: "NoDelay", stage: stageAfterListen, applies: isConnStream,
		where: func(a *socketunit.Address) (int, int) {
			if a.Protocol == unix.IPPROTO_SCTP {
				return solSCTP, sctpNoDelay
			}
			return unix.IPPROTO_TCP, unix.TCP_NODELAY
		},
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.NoDelay) }},
	{key: "Broadcast", stage: stageAfterListen, applies: isInet,
		where: at(unix.SOL_SOCKET, unix.SO_BROADCAST),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.Broadcast) }},
	{key: "PassCredentials", stage: stageAfterListen, applies: isUnixOrNetlink,
		where: at(unix.SOL_SOCKET, unix.SO_PASSCRED),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.PassCredentials) }},
	{key: "PassPIDFD", stage: stageAfterListen, applies: isUnix,
		where: at(unix.SOL_SOCKET, unix.SO_PASSPIDFD),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.PassPIDFD) }},
	{key: "PassSecurity", stage: stageAfterListen, applies: isUnixOrNetlink,
		where: at(unix.SOL_SOCKET, unix.SO_PASSSEC),
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.PassSecurity) }},
	{key: "PassPacketInfo", stage: stageAfterListen,
		applies: func(a *socketunit.Address) bool { return isInet(a) || a.Family == unix.AF_NETLINK },
		where: func(a *socketunit.Address) (int, int) {
			switch a.Family {
			case unix.AF_INET6:
				return unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO
			case unix.AF_NETLINK:
				return unix.SOL_NETLINK, unix.NETLINK_PKTINFO
			}
			return unix.IPPROTO_IP, unix.IP_PKTINFO
		},
		value: func(u *socketunit.Socket) (optValue, bool) { return flag(u.PassPacketInfo) }},
	{key: "AcceptFileDescriptors", stage: stageAfterListen, applies: isUnix,
		where: at(unix.SOL_SOCKET, unix.SO_PASSRIGHTS),
		value: func(u *socketunit.Socket) (optValue, bool) { return optValue{i: 0}, !u.AcceptFileDescriptors }},
	{key: "Timestamping", stage: stageAfterListen, applies: anySocket,
		where: nil, // chosen by value: see levelOpt
		value: func(u *socketunit.Socket) (optValue, bool) {
			return optValue{i: 1, s: timestampingOpt(u.Timestamping)}, u.Timestamping != socketunit.TimestampingOff
		}},
	{key: "Priority", stage: stageAfterListen, applies: anySocket,
		where: at(unix.SOL_SOCKET, unix.SO_PRIORITY),
		value: func(u *socketunit.Socket) (optValue, bool) { return unsetBelowZero(u.Priority) }},
	{key: "ReceiveBuffer", stage: stageAfterListen, kind: bufferValue, applies: anySocket,
		where: at(unix.SOL_SOCKET, unix.SO_RCVBUF),
		value: func(u *socketunit.Socket) (optValue, bool) { return bufferSize(u.ReceiveBuffer) },
		want:  doubled},
	{key: "SendBuffer", stage: stageAfterListen, kind: bufferValue, applies: anySocket,
		where: at(unix.SOL_SOCKET, unix.SO_SNDBUF),
		value: func(u *socketunit.Socket) (optValue, bool) { return bufferSize(u.SendBuffer) },
		want:  doubled},
	{key: "Mark", stage: stageAfterListen, applies: anySocket,
		where: at(unix.SOL_SOCKET, unix.SO_MARK),
		value: func(u *socketunit.Socket) (optValue, bool) { return unsetBelowZero(u.Mark) }},
	{key: "IPTOS", stage: stageAfterListen, applies: isInet,
		where: at(unix.IPPROTO_IP, unix.IP_TOS),
		value: func(u *socketunit.Socket) (optValue, bool) { return unsetBelowZero(u.IPTOS) }},
	{key: "IPTTL", stage: stageAfterListen, applies: isInet,
		where: byFamily(unix.IPPROTO_IP, unix.IP_TTL, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS),
		value: func(u *socketunit.Socket) (optValue, bool) { return unsetBelowZero(u.IPTTL) }},
	{key: "TCPCongestion", stage: stageAfterListen, kind: stringValue, applies: isTCP,
		where: at(unix.IPPROTO_TCP, unix.TCP_CONGESTION),
		value: func(u *socketunit.Socket) (optValue, bool) { return name(u.TCPCongestion) }},
	{key: "SmackLabelIPIn", stage: stageAfterListen, kind: smackValue, applies: anySocket,
		value: func(u *socketunit.Socket) (optValue, bool) {
			return optValue{s: u.SmackLabelIPIn, i: smackIPIn}, u.SmackLabelIPIn != ""
		}},
	{key: "SmackLabelIPOut", stage: stageAfterListen, kind: smackValue, applies: anySocket,
		value: func(u *socketunit.Socket) (optValue, bool) {
			return optValue{s: u.SmackLabelIPOut, i: smackIPOut}, u.SmackLabelIPOut != ""
		}},
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bufferSize is a ReceiveBuffer=/SendBuffer= value; sizes above INT_MAX are passed on so that
// setting them fails with ERANGE as in systemd.
func bufferSize(n uint64) (optValue, bool) {
	if n > 1<<31-1 {
		return optValue{i: -1}, true
	}
	return optValue{i: int(n)}, n > 0
}

// doubled is what the kernel reports for SO_RCVBUF/SO_SNDBUF after setting n (it doubles n for
// bookkeeping overhead).
func doubled(v optValue) optValue { return optValue{i: 2 * v.i} }

// Timestamping= option names; the row's value carries which one.
const (
	timestampUsec = "SO_TIMESTAMP"
	timestampNsec = "SO_TIMESTAMPNS"
)

func timestampingOpt(t socketunit.Timestamping) string {
	if t == socketunit.TimestampingNsec {
		return timestampNsec
	}
	return timestampUsec
}

// levelOpt returns a row's level and option for an address and value; Timestamping picks its
// option by value and Smack rows have none.
func (o *sockOption) levelOpt(a *socketunit.Address, v optValue) (int, int) {
	switch {
	case o.key == "Timestamping" && v.s == timestampNsec:
		return unix.SOL_SOCKET, unix.SO_TIMESTAMPNS
	case o.key == "Timestamping":
		return unix.SOL_SOCKET, unix.SO_TIMESTAMP
	case o.where == nil:
		return 0, 0
	}
	return o.where(a)
}

// deferAcceptRounded is the value Linux reports for TCP_DEFER_ACCEPT after it was set to secs:
// the kernel stores a number of SYN-ACK retransmissions (initial timeout 1 s, doubling, capped
// at 120 s) and reports back the total time they take.
func deferAcceptRounded(secs int) int {
	const timeout, rtoMax = 1, 120 // TCP_TIMEOUT_INIT and TCP_RTO_MAX in seconds
	if secs <= 0 {
		return 0
	}
	retrans, t, period := 1, timeout, timeout
	for secs > period && retrans < 255 {
		retrans++
		t = min(t*2, rtoMax)
		period += t
	}
	// Convert back: retrans retransmissions take period seconds.
	return period
}
