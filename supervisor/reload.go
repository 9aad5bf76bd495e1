//go:build linux

package supervisor

import (
	"reflect"

	"github.com/sockvisor/sockvisor/socketunit"
)

// reload re-reads the whole unit set and applies the difference. resetFailed (SIGHUP) also
// restarts failed units whose files did not change.
func (m *manager) reload(resetFailed bool) {
	loaded, refused := m.loadAll()
	m.apply(loaded, resetFailed, refused)
}

// apply brings the running set to loaded: new units start, units no longer present stop, and
// changed units take their new configuration — keeping their open fds (and with them every
// queued and established connection) when their Listen*= entries are unchanged, restarting
// otherwise. A unit whose new file is refused keeps running as it was.
func (m *manager) apply(loaded []*socketunit.Loaded, resetFailed bool, refused map[string]bool) {
	want := map[string]*socketunit.Loaded{}
	for _, l := range loaded {
		want[l.Socket.Name] = l
	}
	for name, u := range m.units {
		if _, ok := want[name]; ok || refused[name] {
			if refused[name] && want[name] == nil {
				m.log.Warn("new configuration refused, keeping the running one", "unit", name)
			}
			continue
		}
		m.log.Info("unit removed, stopping it", "unit", name)
		u.next = nil
		u.remove = true
		m.stopUnit(u, "")
	}
	for _, l := range loaded {
		u := m.units[l.Socket.Name]
		if u == nil || !sameConfig(u.loaded, l) {
			m.logDiagnostics(l) // new or changed: say what sockvisor makes of it
		}
		if u == nil {
			u = newUnit(l)
			m.units[u.name] = u
			m.startUnit(u)
			continue
		}
		u.remove = false
		same := sameConfig(u.loaded, l)
		switch {
		case u.state == stateStopPre || u.state == stateStopPost:
			u.next = l // start with the new configuration once down
		case u.state == stateFailed || u.state == stateDead:
			if !same || resetFailed {
				u.loaded = l
				m.startUnit(u)
			}
		case same:
		case sameListen(u.loaded.Socket, l.Socket) && u.state.active():
			m.log.Info("configuration changed, keeping the sockets", "unit", u.name)
			m.swapConfig(u, l)
		default:
			m.log.Info("listen entries changed, restarting", "unit", u.name)
			u.next = l
			m.stopUnit(u, "")
		}
	}
}

// swapConfig gives a running unit its new configuration in place. Limits restart only when
// their settings changed; running services keep the configuration they started with.
func (m *manager) swapConfig(u *unit, l *socketunit.Loaded) {
	old := u.sock()
	u.loaded = l
	s := l.Socket
	if old.TriggerLimitInterval != s.TriggerLimitInterval || old.TriggerLimitBurst != s.TriggerLimitBurst {
		u.trigger = newRateLimit(s.TriggerLimitInterval, s.TriggerLimitBurst)
	}
	if old.PollLimitInterval != s.PollLimitInterval || old.PollLimitBurst != s.PollLimitBurst {
		m.resetPollLimits(u)
	}
}

// sameConfig reports whether two loads of a unit are the same configuration.
func sameConfig(a, b *socketunit.Loaded) bool {
	return reflect.DeepEqual(a.Socket, b.Socket) && reflect.DeepEqual(a.Service, b.Service)
}

// sameListen reports whether two socket units listen on the same entries in the same order.
func sameListen(a, b *socketunit.Socket) bool {
	if len(a.Listen) != len(b.Listen) {
		return false
	}
	for i := range a.Listen {
		x, y := a.Listen[i], b.Listen[i]
		if x.Kind != y.Kind || x.Path != y.Path || !reflect.DeepEqual(x.Address, y.Address) {
			return false
		}
	}
	return true
}
