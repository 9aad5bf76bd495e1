package socketunit

// BindIPv6Only is the BindIPv6Only= setting.
type BindIPv6Only uint8

// BindIPv6Only values.
const (
	BindIPv6Default  BindIPv6Only = iota // leave IPV6_V6ONLY to the kernel (net.ipv6.bindv6only)
	BindIPv6Both                         // IPV6_V6ONLY=0
	BindIPv6IPv6Only                     // IPV6_V6ONLY=1
)

// Timestamping is the Timestamping= setting.
type Timestamping uint8

// Timestamping values.
const (
	TimestampingOff Timestamping = iota
	TimestampingUsec
	TimestampingNsec
)

// DeferTrigger is the DeferTrigger= setting (systemd v258).
type DeferTrigger uint8

// DeferTrigger values.
const (
	DeferTriggerNo DeferTrigger = iota
	DeferTriggerYes
	DeferTriggerPatient
)

// Socket is a loaded socket unit: every [Socket] setting with systemd's defaults applied
// (socket_init and socket_add_extras), plus the [Unit] and [Install] sections.
// "Unset" sentinels follow systemd: -1 for Priority, IPTOS, IPTTL and Mark; 0 for sizes.
type Socket struct {
	Name string // unit name, e.g. "echo.socket" or "echo@inst.socket"
	Path string // the fragment file it was read from

	Listen []Listen // in configuration order

	SocketProtocol int // 0, IPPROTO_UDPLITE, IPPROTO_SCTP or IPPROTO_MPTCP
	BindIPv6Only   BindIPv6Only
	Backlog        uint32 // default 2147483647 (SOMAXCONN_DELUXE)
	BindToDevice   string
	SocketUser     string
	SocketGroup    string
	SocketMode     uint32 // default 0666
	DirectoryMode  uint32 // default 0755

	Accept                  bool
	FlushPending            bool
	Writable                bool
	MaxConnections          uint32 // default 64
	MaxConnectionsPerSource uint32 // 0 = no limit

	KeepAlive         bool
	KeepAliveTime     Timespan // 0 = kernel default
	KeepAliveInterval Timespan
	KeepAliveProbes   uint32
	DeferAccept       Timespan
	NoDelay           bool
	Priority          int    // -1 = unset
	ReceiveBuffer     uint64 // 0 = unset
	SendBuffer        uint64
	IPTOS             int // -1 = unset
	IPTTL             int // -1 = unset
	Mark              int // -1 = unset
	PipeSize          uint64
	FreeBind          bool
	Transparent       bool
	Broadcast         bool
	PassCredentials   bool
	PassPIDFD         bool
	PassSecurity      bool
	PassPacketInfo    bool
	// AcceptFileDescriptors is SO_PASSRIGHTS; true (the kernel default) unless set to no.
	AcceptFileDescriptors bool
	Timestamping          Timestamping
	TCPCongestion         string
	ReusePort             bool

	MessageQueueMaxMessages int64
	MessageQueueMessageSize int64

	RemoveOnStop       bool
	Symlinks           []string
	FileDescriptorName string // empty = unset; see FDName
	Service            string // Service=; empty = the same-name .service

	PassFileDescriptorsToExec bool
	TriggerLimitInterval      Timespan // default 2s
	TriggerLimitBurst         uint32   // default 20 (Accept=no) or 200 (Accept=yes)
	PollLimitInterval         Timespan // default 2s
	PollLimitBurst            uint32   // default 15 (Accept=no) or 150 (Accept=yes)
	DeferTrigger              DeferTrigger
	DeferTriggerMax           Timespan // default Infinity
	Timeout                   Timespan // TimeoutSec=, default 90s

	SmackLabel            string
	SmackLabelIPIn        string
	SmackLabelIPOut       string
	SELinuxContextFromNet bool

	ExecStartPre  []ExecCommand
	ExecStartPost []ExecCommand
	ExecStopPre   []ExecCommand
	ExecStopPost  []ExecCommand
	Exec          ExecContext // environment of the socket unit's own Exec*= processes
	Kill          KillContext

	Unit    UnitSection
	Install InstallSection
}

// FDName returns the name the socket's fds carry in LISTEN_FDNAMES: FileDescriptorName= if set,
// else the unit name for Accept=no and "connection" for Accept=yes.
func (s *Socket) FDName() string {
	switch {
	case s.FileDescriptorName != "":
		return s.FileDescriptorName
	case s.Accept:
		return "connection"
	default:
		return s.Name
	}
}
