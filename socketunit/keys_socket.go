package socketunit

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// socketKeys are the [Socket]-specific keys (systemd 252 plus the newer ones sockvisor applies).
func socketKeys() []*Key {
	listen := func(kind ListenKind, value, doc string) *Key {
		return &Key{Name: kind.String(), Sections: SectionSocket, Value: value, Resets: true, Repeats: true, Applied: true,
			Doc: doc + "; an empty assignment removes every Listen*= entry", apply: listenValue(kind)}
	}
	b := func(name string, f func(s *Socket) *bool, doc string) *Key {
		return &Key{Name: name, Sections: SectionSocket, Value: "boolean", Default: "no", Applied: true, Doc: doc, apply: boolValue(onSocket(f))}
	}
	return []*Key{
		listen(ListenStream, "address", "a SOCK_STREAM socket"),
		listen(ListenDatagram, "address", "a SOCK_DGRAM socket"),
		listen(ListenSequentialPacket, "UNIX address", "a SOCK_SEQPACKET socket (AF_UNIX only)"),
		listen(ListenFIFO, "absolute path", "a FIFO"),
		listen(ListenSpecial, "absolute path", "a special file (character device, /proc or /sys file)"),
		listen(ListenNetlink, "FAMILY [GROUP]", "a netlink socket"),
		listen(ListenMessageQueue, "/name", "a POSIX message queue"),
		listen(ListenUSBFunction, "absolute path", "a USB FunctionFS endpoint directory"),
		{Name: "SocketProtocol", Sections: SectionSocket, Value: "udplite|sctp", Applied: true,
			Doc: "IP protocol of the sockets", apply: socketProtocolValue},
		{Name: "BindIPv6Only", Sections: SectionSocket, Value: "default|both|ipv6-only|boolean", Default: "default", Applied: true,
			Doc: "IPV6_V6ONLY", apply: bindIPv6OnlyValue},
		{Name: "Backlog", Sections: SectionSocket, Value: "unsigned", Default: "2147483647", Applied: true,
			Doc: "listen() backlog", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.Backlog }))},
		{Name: "BindToDevice", Sections: SectionSocket, Value: "interface name", Resets: true, Applied: true,
			Doc: "SO_BINDTODEVICE; empty or * unsets", apply: bindToDeviceValue},
		{Name: "SocketUser", Sections: SectionSocket, Value: "user", Resets: true, Applied: true,
			Doc: "owner of file-system sockets and FIFOs", apply: userValue(onSocket(func(s *Socket) *string { return &s.SocketUser }))},
		{Name: "SocketGroup", Sections: SectionSocket, Value: "group", Resets: true, Applied: true,
			Doc: "group of file-system sockets and FIFOs", apply: userValue(onSocket(func(s *Socket) *string { return &s.SocketGroup }))},
		{Name: "SocketMode", Sections: SectionSocket, Value: "octal mode", Default: "0666", Applied: true,
			Doc: "access mode of file-system nodes", apply: modeValue(onSocket(func(s *Socket) *uint32 { return &s.SocketMode }))},
		{Name: "DirectoryMode", Sections: SectionSocket, Value: "octal mode", Default: "0755", Applied: true,
			Doc: "mode of parent directories created", apply: modeValue(onSocket(func(s *Socket) *uint32 { return &s.DirectoryMode }))},
		b("Accept", func(s *Socket) *bool { return &s.Accept }, "one service instance per connection"),
		b("FlushPending", func(s *Socket) *bool { return &s.FlushPending }, "flush queued data before starting the service (Accept=no)"),
		b("Writable", func(s *Socket) *bool { return &s.Writable }, "open ListenSpecial= files read-write"),
		{Name: "MaxConnections", Sections: SectionSocket, Value: "unsigned", Default: "64", Applied: true,
			Doc: "concurrent connections (Accept=yes)", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.MaxConnections }))},
		{Name: "MaxConnectionsPerSource", Sections: SectionSocket, Value: "unsigned", Default: "0 (no limit)", Applied: true,
			Doc: "concurrent connections per peer address (Accept=yes)", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.MaxConnectionsPerSource }))},
		b("KeepAlive", func(s *Socket) *bool { return &s.KeepAlive }, "SO_KEEPALIVE"),
		{Name: "KeepAliveTimeSec", Sections: SectionSocket, Value: "time span", Default: "0 (kernel default)", Applied: true,
			Doc: "TCP_KEEPIDLE", apply: secValue(onSocket(func(s *Socket) *Timespan { return &s.KeepAliveTime }))},
		{Name: "KeepAliveIntervalSec", Sections: SectionSocket, Value: "time span", Default: "0 (kernel default)", Applied: true,
			Doc: "TCP_KEEPINTVL", apply: secValue(onSocket(func(s *Socket) *Timespan { return &s.KeepAliveInterval }))},
		{Name: "KeepAliveProbes", Sections: SectionSocket, Value: "unsigned", Default: "0 (kernel default)", Applied: true,
			Doc: "TCP_KEEPCNT", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.KeepAliveProbes }))},
		{Name: "DeferAcceptSec", Sections: SectionSocket, Value: "time span", Default: "0 (off)", Applied: true,
			Doc: "TCP_DEFER_ACCEPT", apply: secValue(onSocket(func(s *Socket) *Timespan { return &s.DeferAccept }))},
		b("NoDelay", func(s *Socket) *bool { return &s.NoDelay }, "TCP_NODELAY"),
		{Name: "Priority", Sections: SectionSocket, Value: "integer", Default: "-1 (unset)", Applied: true,
			Doc: "SO_PRIORITY", apply: intValue(onSocket(func(s *Socket) *int { return &s.Priority }))},
		{Name: "ReceiveBuffer", Sections: SectionSocket, Value: "size", Default: "0 (unset)", Applied: true,
			Doc: "SO_RCVBUF", apply: sizeValue(onSocket(func(s *Socket) *uint64 { return &s.ReceiveBuffer }))},
		{Name: "SendBuffer", Sections: SectionSocket, Value: "size", Default: "0 (unset)", Applied: true,
			Doc: "SO_SNDBUF", apply: sizeValue(onSocket(func(s *Socket) *uint64 { return &s.SendBuffer }))},
		{Name: "IPTOS", Sections: SectionSocket, Value: "low-delay|throughput|reliability|low-cost|0..255", Default: "-1 (unset)", Resets: true, Applied: true,
			Doc: "IP_TOS", apply: ipTOSValue},
		{Name: "IPTTL", Sections: SectionSocket, Value: "integer", Default: "-1 (unset)", Applied: true,
			Doc: "IP_TTL / IPV6_UNICAST_HOPS", apply: intValue(onSocket(func(s *Socket) *int { return &s.IPTTL }))},
		{Name: "Mark", Sections: SectionSocket, Value: "integer", Default: "-1 (unset)", Applied: true,
			Doc: "SO_MARK", apply: intValue(onSocket(func(s *Socket) *int { return &s.Mark }))},
		{Name: "PipeSize", Sections: SectionSocket, Value: "size", Default: "0 (unset)", Applied: true,
			Doc: "F_SETPIPE_SZ on FIFOs", apply: sizeValue(onSocket(func(s *Socket) *uint64 { return &s.PipeSize }))},
		b("FreeBind", func(s *Socket) *bool { return &s.FreeBind }, "IP_FREEBIND"),
		b("Transparent", func(s *Socket) *bool { return &s.Transparent }, "IP_TRANSPARENT"),
		b("Broadcast", func(s *Socket) *bool { return &s.Broadcast }, "SO_BROADCAST"),
		b("PassCredentials", func(s *Socket) *bool { return &s.PassCredentials }, "SO_PASSCRED"),
		b("PassSecurity", func(s *Socket) *bool { return &s.PassSecurity }, "SO_PASSSEC"),
		b("PassPacketInfo", func(s *Socket) *bool { return &s.PassPacketInfo }, "IP_PKTINFO and friends"),
		{Name: "Timestamping", Sections: SectionSocket, Value: "off|us|ns|boolean", Default: "off", Applied: true,
			Doc: "SO_TIMESTAMP / SO_TIMESTAMPNS", apply: timestampingValue},
		{Name: "TCPCongestion", Sections: SectionSocket, Value: "string", Resets: true, Applied: true,
			Doc: "TCP_CONGESTION", apply: stringValue(onSocket(func(s *Socket) *string { return &s.TCPCongestion }))},
		b("ReusePort", func(s *Socket) *bool { return &s.ReusePort }, "SO_REUSEPORT"),
		{Name: "MessageQueueMaxMessages", Sections: SectionSocket, Value: "long", Default: "0", Applied: true,
			Doc: "mq_maxmsg", apply: longValue(onSocket(func(s *Socket) *int64 { return &s.MessageQueueMaxMessages }))},
		{Name: "MessageQueueMessageSize", Sections: SectionSocket, Value: "long", Default: "0", Applied: true,
			Doc: "mq_msgsize", apply: longValue(onSocket(func(s *Socket) *int64 { return &s.MessageQueueMessageSize }))},
		b("RemoveOnStop", func(s *Socket) *bool { return &s.RemoveOnStop }, "remove file-system nodes and symlinks on stop"),
		{Name: "Symlinks", Sections: SectionSocket, Value: "absolute paths", Resets: true, Repeats: true, Applied: true,
			Doc: "symlinks to the socket or FIFO", apply: pathListValue(onSocket(func(s *Socket) *[]string { return &s.Symlinks }))},
		{Name: "FileDescriptorName", Sections: SectionSocket, Value: "fd name", Default: "the unit name", Resets: true, Applied: true,
			Doc: "name in LISTEN_FDNAMES", apply: fdNameValue},
		{Name: "Service", Sections: SectionSocket, Value: "unit name", Default: "NAME.service", Applied: true,
			Doc: "the service to activate", apply: serviceNameValue},
		{Name: "TriggerLimitIntervalSec", Sections: SectionSocket, Value: "time span", Default: "2s", Applied: true,
			Doc: "trigger rate limit window", apply: secValue(onSocket(func(s *Socket) *Timespan { return &s.TriggerLimitInterval }))},
		{Name: "TriggerLimitBurst", Sections: SectionSocket, Value: "unsigned", Default: "20 (Accept=no), 200 (Accept=yes)", Applied: true,
			Doc: "triggers allowed per window", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.TriggerLimitBurst }))},
		{Name: "TimeoutSec", Sections: SectionSocket, Value: "time span (0 = infinity)", Default: "90s", Applied: true,
			Doc: "timeout of the socket's own Exec*= commands", apply: secFix0Value(onSocket(func(s *Socket) *Timespan { return &s.Timeout }))},
		{Name: "ExecStartPre", Sections: SectionSocket, Value: "command line", Resets: true, Repeats: true, Applied: true,
			Doc: "run before listening", apply: execValue(onSocket(func(s *Socket) *[]ExecCommand { return &s.ExecStartPre }))},
		{Name: "ExecStartPost", Sections: SectionSocket, Value: "command line", Resets: true, Repeats: true, Applied: true,
			Doc: "run after listening", apply: execValue(onSocket(func(s *Socket) *[]ExecCommand { return &s.ExecStartPost }))},
		{Name: "ExecStopPre", Sections: SectionSocket, Value: "command line", Resets: true, Repeats: true, Applied: true,
			Doc: "run before closing the sockets", apply: execValue(onSocket(func(s *Socket) *[]ExecCommand { return &s.ExecStopPre }))},
		{Name: "ExecStopPost", Sections: SectionSocket, Value: "command line", Resets: true, Repeats: true, Applied: true,
			Doc: "run after closing the sockets", apply: execValue(onSocket(func(s *Socket) *[]ExecCommand { return &s.ExecStopPost }))},
		{Name: "SmackLabel", Sections: SectionSocket, Value: "string", Resets: true,
			Doc: "SMACK label of file-system nodes", apply: printfValue(onSocket(func(s *Socket) *string { return &s.SmackLabel }))},
		{Name: "SmackLabelIPIn", Sections: SectionSocket, Value: "string", Resets: true,
			Doc: "SMACK label of incoming packets", apply: printfValue(onSocket(func(s *Socket) *string { return &s.SmackLabelIPIn }))},
		{Name: "SmackLabelIPOut", Sections: SectionSocket, Value: "string", Resets: true,
			Doc: "SMACK label of outgoing packets", apply: printfValue(onSocket(func(s *Socket) *string { return &s.SmackLabelIPOut }))},
		{Name: "SELinuxContextFromNet", Sections: SectionSocket, Value: "boolean", Default: "no",
			Doc: "SELinux context of the service from the network", apply: boolValue(onSocket(func(s *Socket) *bool { return &s.SELinuxContextFromNet }))},

		// Newer than systemd 252: sockvisor applies them; verify notes that 252 ignores them.
		{Name: "PollLimitIntervalSec", Sections: SectionSocket, Value: "time span", Default: "2s", Applied: true, Since: "v255",
			Doc: "poll rate limit window", apply: secValue(onSocket(func(s *Socket) *Timespan { return &s.PollLimitInterval }))},
		{Name: "PollLimitBurst", Sections: SectionSocket, Value: "unsigned", Default: "15 (Accept=no), 150 (Accept=yes)", Applied: true, Since: "v255",
			Doc: "wake-ups allowed per window", apply: unsignedValue(onSocket(func(s *Socket) *uint32 { return &s.PollLimitBurst }))},
		{Name: "PassFileDescriptorsToExec", Sections: SectionSocket, Value: "boolean", Default: "no", Applied: true, Since: "v256",
			Doc: "pass the sockets to ExecStartPost/ExecStopPre/ExecStopPost", apply: boolValue(onSocket(func(s *Socket) *bool { return &s.PassFileDescriptorsToExec }))},
		{Name: "PassPIDFD", Sections: SectionSocket, Value: "boolean", Default: "no", Applied: true, Since: "v258",
			Doc: "SO_PASSPIDFD", apply: boolValue(onSocket(func(s *Socket) *bool { return &s.PassPIDFD }))},
		{Name: "AcceptFileDescriptors", Sections: SectionSocket, Value: "boolean", Default: "yes", Applied: true, Since: "v258",
			Doc: "SO_PASSRIGHTS", apply: boolValue(onSocket(func(s *Socket) *bool { return &s.AcceptFileDescriptors }))},
		{Name: "DeferTrigger", Sections: SectionSocket, Value: "no|yes|patient|boolean", Default: "no", Applied: true, Since: "v258",
			Doc: "defer activation while conflicting jobs run", apply: deferTriggerValue},
		{Name: "DeferTriggerMaxSec", Sections: SectionSocket, Value: "time span (0 = infinity)", Default: "infinity", Applied: true, Since: "v258",
			Doc: "longest deferral", apply: secFix0Value(onSocket(func(s *Socket) *Timespan { return &s.DeferTriggerMax }))},
	}
}

// Expansion limits of systemd's unit_*_printf helpers.
const (
	maxPrintfLen   = maxLineLen // unit_full_printf
	maxPathLen     = 4096       // unit_path_printf (PATH_MAX)
	maxFDNameLen   = 255        // unit_fd_printf (FDNAME_MAX)
	maxUnitNameLen = 256        // unit_name_printf (UNIT_NAME_MAX)
)

// expand resolves specifiers and enforces systemd's length limit for the kind of value.
func (p *unitParser) expand(s string, limit int) (string, error) {
	if !strings.Contains(s, "%") {
		if len(s) > limit {
			return "", syscall.ENAMETOOLONG
		}
		return s, nil
	}
	for _, sp := range DeprecatedSpecifiers(s) {
		p.diags = append(p.diags, Diagnostic{Location: Location{File: p.fragment}, Severity: SeverityWarning,
			Message: fmt.Sprintf("Specifier '%s' used in unit configuration, which is deprecated. Please update your unit file, as it does not work as intended.", sp)})
	}
	c := p.specifiers()
	c.MaxLength = limit
	if limit == maxUnitNameLen {
		return ExpandUnitNameSpecifiers(s, c)
	}
	return ExpandSpecifiers(s, c)
}

func listenValue(kind ListenKind) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if p.sock == nil {
			return nil
		}
		if a.Value == "" {
			p.sock.Listen = nil
			return nil
		}
		v, err := p.expand(a.Value, maxPathLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
			return nil
		}
		l := Listen{Kind: kind, Source: a.Loc}
		switch kind {
		case ListenFIFO, ListenSpecial, ListenMessageQueue, ListenUSBFunction:
			path, ok := p.checkPath(a, v, pathIgnore)
			if !ok {
				return nil
			}
			if kind == ListenFIFO {
				path = p.patchVarRun(a, path)
			}
			l.Path = path
		case ListenNetlink:
			addr, err := ParseNetlinkAddress(v)
			if err != nil {
				p.warn(a, "Failed to parse address value in '%s', ignoring: %s", v, strerror(err))
				return nil
			}
			addr.Type = syscall.SOCK_RAW
			l.Address = addr
		default:
			if strings.HasPrefix(v, "/") {
				v = p.patchVarRun(a, v)
			}
			addr, err := ParseAddress(v)
			if err != nil {
				p.warn(a, "Failed to parse address value in '%s', ignoring: %s", v, strerror(err))
				return nil
			}
			switch kind {
			case ListenStream:
				addr.Type = syscall.SOCK_STREAM
			case ListenDatagram:
				addr.Type = syscall.SOCK_DGRAM
			default:
				addr.Type = syscall.SOCK_SEQPACKET
				if addr.Family != syscall.AF_UNIX {
					p.warn(a, "Address family not supported, ignoring: %s", a.Value)
					return nil
				}
			}
			l.Address = addr
		}
		p.sock.Listen = append(p.sock.Listen, l)
		return nil
	}
}

// patchVarRun rewrites /var/run/… to /run/… with systemd's notice.
func (p *unitParser) patchVarRun(a assignment, path string) string {
	np, changed := PatchVarRun(path)
	if changed {
		p.add(a, SeverityNotice, false,
			"%s= references a path below legacy directory /var/run/, updating %s → %s; please update the unit file accordingly.",
			a.Key, path, np)
	}
	return np
}

func socketProtocolValue(p *unitParser, a assignment) error {
	proto := -1
	switch strings.ToLower(a.Value) {
	case "udplite":
		proto = syscall.IPPROTO_UDPLITE
	case "sctp":
		proto = syscall.IPPROTO_SCTP
	default:
		if n, err := strconv.Atoi(a.Value); err == nil && (n == syscall.IPPROTO_UDPLITE || n == syscall.IPPROTO_SCTP) {
			proto = n
		}
	}
	if proto < 0 {
		p.warn(a, "Failed to parse socket protocol, ignoring: %s", a.Value)
		return nil
	}
	if p.sock != nil {
		p.sock.SocketProtocol = proto
	}
	return nil
}

func bindIPv6OnlyValue(p *unitParser, a assignment) error {
	var v BindIPv6Only
	switch a.Value {
	case "default":
		v = BindIPv6Default
	case "both":
		v = BindIPv6Both
	case "ipv6-only":
		v = BindIPv6IPv6Only
	default:
		b, err := ParseBool(a.Value)
		if err != nil {
			p.warn(a, "Failed to parse bind IPv6 only value, ignoring: %s", a.Value)
			return nil
		}
		v = BindIPv6Both
		if b {
			v = BindIPv6IPv6Only
		}
	}
	if p.sock != nil {
		p.sock.BindIPv6Only = v
	}
	return nil
}

func bindToDeviceValue(p *unitParser, a assignment) error {
	v := a.Value
	if v == "*" {
		v = ""
	}
	if v != "" && !ValidIfname(v) {
		p.warn(a, "Invalid interface name, ignoring: %s", a.Value)
		return nil
	}
	if p.sock != nil {
		p.sock.BindToDevice = v
	}
	return nil
}

var ipTOSNames = map[string]int{"low-delay": 0x10, "throughput": 0x08, "reliability": 0x04, "low-cost": 0x02}

func ipTOSValue(p *unitParser, a assignment) error {
	v := -1
	if a.Value != "" {
		if n, ok := ipTOSNames[a.Value]; ok {
			v = n
		} else if n, err := ParseUnsigned(a.Value); err == nil && n <= 0xff {
			v = int(n)
		} else {
			p.warn(a, "Failed to parse IP TOS value, ignoring: %s", a.Value)
			return nil
		}
	}
	if p.sock != nil {
		p.sock.IPTOS = v
	}
	return nil
}

func timestampingValue(p *unitParser, a assignment) error {
	var v Timestamping
	switch a.Value {
	case "off":
		v = TimestampingOff
	case "us", "usec", "\u00b5s", "\u03bcs": // micro sign and Greek mu
		v = TimestampingUsec
	case "ns", "nsec":
		v = TimestampingNsec
	default:
		b, err := ParseBool(a.Value)
		if err != nil {
			p.warn(a, "Failed to parse timestamping precision, ignoring: %s", a.Value)
			return nil
		}
		v = TimestampingOff
		if b {
			v = TimestampingNsec
		}
	}
	if p.sock != nil {
		p.sock.Timestamping = v
	}
	return nil
}

func deferTriggerValue(p *unitParser, a assignment) error {
	var v DeferTrigger
	switch a.Value {
	case "patient":
		v = DeferTriggerPatient
	default:
		b, err := ParseBool(a.Value)
		if err != nil {
			p.warn(a, "Failed to parse DeferTrigger= value, ignoring: %s", a.Value)
			return nil
		}
		if b {
			v = DeferTriggerYes
		}
	}
	if p.sock != nil {
		p.sock.DeferTrigger = v
	}
	return nil
}

func fdNameValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		if p.sock != nil {
			p.sock.FileDescriptorName = ""
		}
		return nil
	}
	v, err := p.expand(a.Value, maxFDNameLen)
	if err != nil {
		p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
		return nil
	}
	if !ValidFDName(v) {
		p.warn(a, "Invalid file descriptor name, ignoring: %s", v)
		return nil
	}
	if p.sock != nil {
		p.sock.FileDescriptorName = v
	}
	return nil
}

func serviceNameValue(p *unitParser, a assignment) error {
	v, err := p.expand(a.Value, maxUnitNameLen)
	if err != nil {
		p.warn(a, "Failed to resolve unit specifiers in %s, ignoring: %s", a.Value, strerror(err))
		return nil
	}
	if !strings.HasSuffix(v, ".service") {
		p.warn(a, "Unit must be of type service, ignoring: %s", a.Value)
		return nil
	}
	switch {
	case !validUnitName(v):
		p.warn(a, "Failed to load unit %s, ignoring: Unit name %s is not valid.", a.Value, v)
		return nil
	case strings.HasSuffix(v, "@.service"):
		p.warn(a, "Failed to load unit %s, ignoring: Unit name %s is missing the instance name.", a.Value, v)
		return nil
	}
	if p.sock != nil {
		p.sock.Service = v
	}
	return nil
}

// userValue is config_parse_user_group_compat: a relaxed user or group name or numeric ID;
// an invalid one makes systemd refuse the unit.
func userValue(f field[string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = ""
			return nil
		}
		v, err := p.expand(a.Value, maxPrintfLen)
		if err != nil {
			return p.fatal(a, "Failed to resolve unit specifiers in %s: %s", a.Value, strerror(err))
		}
		valid, strict := CheckUserGroupName(v)
		if !valid {
			return p.fatal(a, "Invalid user/group name or numeric ID: %s", v)
		}
		if !strict {
			p.warn(a, "Accepting user/group name '%s', which does not match strict user/group name rules.", v)
		}
		if v == "nobody" && (a.Key == "User" || a.Key == "SocketUser") {
			p.warn(a, "Special user nobody configured, this is not safe!")
		}
		*f(p) = v
		return nil
	}
}

// pathListValue is config_parse_unit_path_strv_printf: words (quotes removed), each an
// absolute path; a bad word stops the rest of the line; empty resets.
func pathListValue(f field[[]string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = nil
			return nil
		}
		words, err := SplitWords(a.Value, WordUnquote)
		if err != nil {
			p.warn(a, "Invalid syntax, ignoring: %s", a.Value)
			return nil
		}
		for _, w := range words {
			v, err := p.expand(w, maxPathLen)
			if err != nil {
				p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", w, strerror(err))
				return nil
			}
			path, ok := p.checkPath(a, v, pathIgnore)
			if !ok {
				return nil
			}
			*f(p) = append(*f(p), path)
		}
		return nil
	}
}
