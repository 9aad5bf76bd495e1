//go:build linux

package listener

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sockvisor/sockvisor/socketunit"
)

// Row is one fd as "sockvisor sockets" reports it.
type Row struct {
	Unit      string    `json:"unit"`          // "" for an inherited fd no unit adopted
	FD        int       `json:"fd"`            // the number the service would get (3, 4, …)
	Name      string    `json:"name"`          // LISTEN_FDNAMES entry
	Kind      string    `json:"kind"`          // ListenStream, …, or "unmatched"
	Address   string    `json:"address"`       // as the kernel reports it
	Origin    string    `json:"origin"`        // "opened", "inherited" or "unmatched"
	Options   []Reading `json:"options"`       // every setting read back
	Mismatch  int       `json:"mismatches"`    // readings that differ from what the unit asks
	Auxiliary bool      `json:"aux,omitempty"` // a USB endpoint after ep0
}

// Inspect opens u's fds as "sockvisor run" would (adopting inherited ones), reads every setting
// back and closes them again; fds are numbered from first. With RemoveOnStop=yes the nodes go
// away on close, as they would when the unit stops.
func Inspect(ctx context.Context, u *socketunit.Socket, o OpenOptions, first int) ([]Row, error) {
	s, err := Open(ctx, u, o)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(s.FDs))
	n := first
	for _, fd := range s.FDs {
		r, err := ReadBack(u, fd)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", u.Name, err)
		}
		row := Row{Unit: u.Name, FD: n, Name: fd.Name, Kind: r.Kind, Address: r.Address, Origin: "opened", Options: r.Readings}
		if fd.Inherited {
			row.Origin = "inherited"
		}
		for _, x := range r.Readings {
			if !x.OK() {
				row.Mismatch++
			}
		}
		rows = append(rows, row)
		n++
		for _, aux := range fd.Aux {
			rows = append(rows, Row{Unit: u.Name, FD: n, Name: fd.Name, Kind: r.Kind, Address: aux.Name(), Origin: row.Origin, Auxiliary: true})
			n++
		}
	}
	return rows, s.Close()
}

// UnmatchedRows describes the inherited fds no unit adopted.
func UnmatchedRows(inh *Inherited) []Row {
	var rows []Row
	for _, d := range inh.Unmatched() {
		addr := d.Path
		if d.Socket {
			addr = d.Address.String()
		}
		rows = append(rows, Row{Name: d.Name, FD: fdNumber(d), Kind: "unmatched", Address: addr, Origin: "unmatched"})
	}
	return rows
}

// fdNumber is the descriptor number an inherited fd arrived at.
func fdNumber(d InheritedFD) int {
	n := -1
	_ = withFD(d.File, func(fd int) error { n = fd; return nil })
	return n
}

// WriteRows prints rows as a table (text) or as a JSON array. The text form lists the settings
// the unit applies, or every setting read back with all; a setting the kernel holds otherwise
// than the unit asks shows "(want …)".
func WriteRows(w io.Writer, rows []Row, format string, all bool) error {
	if format == "json" {
		if rows == nil {
			rows = []Row{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	// tabwriter writes cell by cell; buffer so a thousand rows are a few writes, not thousands.
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tFD\tNAME\tKIND\tADDRESS\tORIGIN\tOPTIONS")
	for _, r := range rows {
		unit := r.Unit
		if unit == "" {
			unit = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", unit, r.FD, r.Name, r.Kind, r.Address, r.Origin, formatReadings(r.Options, all))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

func formatReadings(rs []Reading, all bool) string {
	var b []string
	for _, x := range rs {
		if x.Want == "" && !all {
			continue
		}
		v := x.Value
		if x.Err != "" {
			v = "(" + x.Err + ")"
		}
		s := x.Key + "=" + strconv.Quote(v)
		if !strings.ContainsAny(v, " \t\"\\") && v != "" {
			s = x.Key + "=" + v
		}
		if !x.OK() {
			s += "(want " + x.Want + ")"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}
