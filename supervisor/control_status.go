//go:build linux

package supervisor

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// status describes every unit, ordered by name.
func (m *manager) status() []UnitStatus {
	var out []UnitStatus
	for _, u := range m.sorted() {
		s := u.sock()
		st := UnitStatus{
			Unit:         u.name,
			Path:         s.Path,
			State:        u.state.String(),
			Result:       u.result,
			NAccepted:    u.nAccepted,
			NConnections: u.nConnections,
			NRefused:     u.nRefused,
		}
		for _, l := range s.Listen {
			st.Listen = append(st.Listen, ListenStatus{Type: listenType(l.Kind), Address: listenAddress(l)})
		}
		if s.Accept {
			for _, c := range u.conns {
				st.Activates = append(st.Activates, c.service)
			}
			slices.Sort(st.Activates)
			if len(st.Activates) == 0 && u.loaded.Service != nil {
				st.Activates = []string{u.loaded.Service.Name}
			}
		} else if u.loaded.Service != nil {
			st.Activates = []string{u.loaded.Service.Name}
			if u.service != nil {
				st.MainPID = u.service.PID()
			}
		}
		out = append(out, st)
	}
	return out
}

// listenType names a listen kind as systemctl list-sockets --show-types does.
func listenType(k socketunit.ListenKind) string {
	return strings.TrimPrefix(k.String(), "Listen")
}

// listenAddress prints a listen entry as systemctl list-sockets does.
func listenAddress(l socketunit.Listen) string {
	if !l.Kind.IsSocket() {
		return l.Path
	}
	a := l.Address
	switch a.Family {
	case unix.AF_INET:
		return a.IP.Unmap().String() + ":" + strconv.Itoa(int(a.Port))
	case unix.AF_INET6:
		ip := a.IP
		s := ip.String()
		if a.IfName != "" {
			s += "%" + a.IfName
		}
		return "[" + s + "]:" + strconv.Itoa(int(a.Port))
	case unix.AF_UNIX:
		return a.Path
	case unix.AF_VSOCK:
		return fmt.Sprintf("vsock:%d:%d", a.CID, a.VsockPort)
	case unix.AF_NETLINK:
		return fmt.Sprintf("netlink:%d %d", a.Protocol, a.Groups)
	}
	return "?"
}

// FormatStatus writes units the way systemctl list-sockets does — one line per listen entry
// with LISTEN, UNIT and ACTIVATES — plus the unit's state and its connection counters.
func FormatStatus(w io.Writer, units []UnitStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "LISTEN\tTYPE\tUNIT\tSTATE\tACTIVATES\tACCEPTED\tCONNECTIONS\tREFUSED")
	for _, u := range units {
		state := u.State
		if u.State == "failed" && u.Result != "" {
			state += " (" + u.Result + ")"
		}
		acts := strings.Join(u.Activates, ",")
		if acts == "" {
			acts = "-"
		}
		listen := u.Listen
		if len(listen) == 0 {
			listen = []ListenStatus{{Type: "-", Address: "-"}}
		}
		for _, l := range listen {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", l.Address, l.Type, u.Unit, state, acts, u.NAccepted, u.NConnections, u.NRefused)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d sockets listed.\n", len(units))
	return err
}
