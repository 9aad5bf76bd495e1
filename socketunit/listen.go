package socketunit

// ListenKind is the kind of a Listen*= entry.
type ListenKind uint8

// The Listen*= keys, in the order systemd documents them.
const (
	ListenStream ListenKind = iota + 1
	ListenDatagram
	ListenSequentialPacket
	ListenFIFO
	ListenSpecial
	ListenNetlink
	ListenMessageQueue
	ListenUSBFunction
)

var listenKeys = [...]string{
	ListenStream:           "ListenStream",
	ListenDatagram:         "ListenDatagram",
	ListenSequentialPacket: "ListenSequentialPacket",
	ListenFIFO:             "ListenFIFO",
	ListenSpecial:          "ListenSpecial",
	ListenNetlink:          "ListenNetlink",
	ListenMessageQueue:     "ListenMessageQueue",
	ListenUSBFunction:      "ListenUSBFunction",
}

// String returns the key name, e.g. "ListenStream".
func (k ListenKind) String() string {
	if int(k) < len(listenKeys) && listenKeys[k] != "" {
		return listenKeys[k]
	}
	return "Listen?"
}

// IsSocket reports whether the entry is a socket (stream, datagram, seqpacket or netlink).
func (k ListenKind) IsSocket() bool {
	return k == ListenStream || k == ListenDatagram || k == ListenSequentialPacket || k == ListenNetlink
}

// Listen is one Listen*= entry of a socket unit, in configuration order (which is fd order).
type Listen struct {
	Kind    ListenKind
	Address Address  // socket kinds; Type is already forced from the key (ListenStream → SOCK_STREAM)
	Path    string   // ListenFIFO, ListenSpecial, ListenMessageQueue, ListenUSBFunction
	Source  Location // where it was configured
}
