//go:build linux

package socketunit

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// netlinkFamilies is systemd's netlink_family_table, indexed by protocol number.
var netlinkFamilies = [...]string{
	unix.NETLINK_ROUTE:          "route",
	unix.NETLINK_FIREWALL:       "firewall",
	unix.NETLINK_INET_DIAG:      "inet-diag",
	unix.NETLINK_NFLOG:          "nflog",
	unix.NETLINK_XFRM:           "xfrm",
	unix.NETLINK_SELINUX:        "selinux",
	unix.NETLINK_ISCSI:          "iscsi",
	unix.NETLINK_AUDIT:          "audit",
	unix.NETLINK_FIB_LOOKUP:     "fib-lookup",
	unix.NETLINK_CONNECTOR:      "connector",
	unix.NETLINK_NETFILTER:      "netfilter",
	unix.NETLINK_IP6_FW:         "ip6-fw",
	unix.NETLINK_DNRTMSG:        "dnrtmsg",
	unix.NETLINK_KOBJECT_UEVENT: "kobject-uevent",
	unix.NETLINK_GENERIC:        "generic",
	unix.NETLINK_SCSITRANSPORT:  "scsitransport",
	unix.NETLINK_ECRYPTFS:       "ecryptfs",
	unix.NETLINK_RDMA:           "rdma",
}

// netlinkFamilyName names a netlink protocol, or gives its number when the table has no name.
func netlinkFamilyName(p int) string {
	if p >= 0 && p < len(netlinkFamilies) && netlinkFamilies[p] != "" {
		return netlinkFamilies[p]
	}
	return strconv.Itoa(p)
}

// netlinkFamilyFromString is netlink_family_from_string: a table name, or a number 0..INT_MAX.
func netlinkFamilyFromString(s string) (int, bool) {
	for i, n := range netlinkFamilies {
		if n != "" && n == s {
			return i, true
		}
	}
	v, err := safeAtoull(s, 0, 0)
	if err != nil || v > 1<<31-1 {
		return 0, false
	}
	return int(v), true
}

// ParseNetlinkAddress parses a ListenNetlink= value, "FAMILY [GROUP]", as systemd's
// socket_address_parse_netlink: FAMILY is a name such as route, audit or kobject-uevent (or a
// number), GROUP a multicast group mask (base auto) that must end the string. The result is
// AF_NETLINK with Type SOCK_RAW and Protocol the family. Errors wrap syscall.EINVAL or ERANGE.
func ParseNetlinkAddress(s string) (Address, error) {
	words, rest := splitFirstWhitespaceWord(s)
	if words == "" {
		return Address{}, addrError(s, syscall.EINVAL)
	}
	family, ok := netlinkFamilyFromString(words)
	if !ok {
		return Address{}, addrError(s, syscall.EINVAL)
	}
	var group uint32
	if rest != "" {
		g, err := safeAtou32(rest)
		if err != nil {
			return Address{}, addrError(s, err)
		}
		group = g
	}
	return Address{Family: unix.AF_NETLINK, Type: unix.SOCK_RAW, Protocol: family, Groups: group}, nil
}

// splitFirstWhitespaceWord is extract_first_word(s, WHITESPACE, 0) for the netlink grammar: the
// first whitespace-delimited word (backslash escapes the next byte) and the rest after the
// whitespace that follows it.
func splitFirstWhitespaceWord(s string) (string, string) {
	words, rest, err := extractFirstWord(s, whitespace, 0)
	if err != nil || words == nil {
		return "", ""
	}
	return *words, rest
}
