package socketunit

import (
	"fmt"
	"strings"
)

// deprecatedKeys are resource-control keys systemd 252 still honours but warns about, with the
// key it recommends instead.
var deprecatedKeys = map[string]string{
	"CPUShares":             "CPUWeight=",
	"StartupCPUShares":      "CPUWeight=",
	"MemoryLimit":           "MemoryMax=",
	"BlockIODeviceWeight":   "IO*= settings",
	"BlockIOReadBandwidth":  "IO*= settings",
	"BlockIOWriteBandwidth": "IO*= settings",
}

// removedKeys are keys systemd 252 accepts only to say that they do nothing any more (its
// --dump-configuration-items does not list them).
var removedKeys = map[string]bool{"Capabilities": true, "NetClass": true}

// removedKeyRows are the rows of removedKeys, in [Socket] and [Service].
func removedKeyRows() []*Key {
	var rows []*Key
	for _, name := range []string{"Capabilities", "NetClass"} {
		rows = append(rows, notAppliedKey(keyName{name, "OTHER"}, SectionSocket|SectionService))
	}
	return rows
}

// notAppliedKey is the row of a key sockvisor recognises but does not apply. Values of the
// simple classes are still checked with systemd's parser, so verify reports what systemd would.
func notAppliedKey(kn keyName, sections Section) *Key {
	k := &Key{Name: kn.name, Sections: sections, Value: kn.class, Doc: "accepted as systemd does; not applied by sockvisor"}
	discard := func(p *unitParser) *bool { return new(bool) }
	switch {
	case deprecatedKeys[kn.name] != "":
		instead := deprecatedKeys[kn.name]
		k.apply = func(p *unitParser, a assignment) error {
			if kn.name == "MemoryLimit" && !p.memoryLimit(a) {
				return nil // the limit is checked before the deprecation is mentioned
			}
			p.warn(a, "Unit uses %s=; please use %s instead. Support for %s= will be removed soon.", a.Key, instead, a.Key)
			if n, err := ParseUnsigned(a.Value); strings.HasSuffix(kn.name, "CPUShares") && a.Value != "" && (err != nil || n < 2 || n > 262144) {
				p.warn(a, "Invalid CPU shares, ignoring: %s", a.Value)
			}
			return nil
		}
	case removedKeys[kn.name]:
		k.apply = func(p *unitParser, a assignment) error {
			p.warn(a, "Support for option %s= has been removed and it is ignored", a.Key)
			return nil
		}
	case kn.name == "DynamicUser":
		k.apply = func(p *unitParser, a assignment) error {
			if _, err := ParseBool(a.Value); err != nil {
				return p.fatal(a, "Failed to parse boolean value: %s", a.Value)
			}
			return nil
		}
	case kn.class == "SIGNAL":
		k.apply = signalValue(func(p *unitParser) *int { return new(int) })
	case kn.class == "BOOLEAN":
		k.apply = boolValue(discard)
	case kn.class == "SECONDS":
		k.apply = secValue(func(p *unitParser) *Timespan { return new(Timespan) })
	case kn.class == "UNSIGNED":
		k.apply = unsignedValue(func(p *unitParser) *uint32 { return new(uint32) })
	case kn.class == "MODE":
		k.apply = modeValue(func(p *unitParser) *uint32 { return new(uint32) })
	case rlimitKinds[kn.name] == 'n':
		k.apply = func(p *unitParser, a assignment) error {
			p.rlimit(a)
			return nil
		}
	case rlimitKinds[kn.name] != 0:
		kind := rlimitKinds[kn.name]
		k.apply = func(p *unitParser, a assignment) error {
			switch soft, hard, ok := rlimitParse(kind, a.Value); {
			case !ok:
				p.warn(a, "Failed to parse resource value, ignoring: %s", a.Value)
			case soft > hard:
				p.warn(a, "Soft resource limit chosen higher than hard limit, ignoring: %s", a.Value)
			}
			return nil
		}
	}
	if k.apply != nil {
		k.Doc = fmt.Sprintf("accepted and checked as systemd does (%s); not applied by sockvisor", kn.class)
	}
	return k
}
